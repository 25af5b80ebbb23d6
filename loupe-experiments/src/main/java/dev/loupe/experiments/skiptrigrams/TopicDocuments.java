package dev.loupe.experiments.skiptrigrams;

import java.util.SplittableRandom;

/**
 * The skip-trigram reproduction's corpus: documents of {@link #DOC} tokens, each drawing
 * {@link #TOPIC_SHARE} of its tokens from {@link #TOPIC} topic symbols of its own (the rest uniformly),
 * so a symbol already in the context is likely to recur.
 */
public final class TopicDocuments {
    public static final int DOC = 64, TOPIC = 4;
    public static final double TOPIC_SHARE = 0.75;

    private TopicDocuments() {}

    /** {@code n} tokens over an alphabet of {@code vocab} (seeded). */
    public static int[] generate(long seed, int n, int vocab) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] out = new int[n];
        int[] topic = new int[TOPIC];
        for (int i = 0; i < n; i++) {
            if (i % DOC == 0) for (int k = 0; k < TOPIC; k++) topic[k] = r.nextInt(vocab);
            out[i] = r.nextDouble() < TOPIC_SHARE ? topic[r.nextInt(TOPIC)] : r.nextInt(vocab);
        }
        return out;
    }
}
