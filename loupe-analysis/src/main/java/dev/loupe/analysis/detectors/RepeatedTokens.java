package dev.loupe.analysis.detectors;

import java.util.SplittableRandom;

/**
 * The probe sequences of the head detectors: {@code batch} rows of n random tokens followed by the
 * same n tokens again, [r₁ … rₙ r₁ … rₙ] (Olsson et al. 2022). In the second half every token has an
 * earlier occurrence n positions back, and the token to predict is the one that followed it, so an
 * induction head attends from i to i − n + 1.
 */
public final class RepeatedTokens {
    private RepeatedTokens() {}

    /**
     * Ids [batch·2n], row-major, tokens uniform in [first, vocab) (pass first = 1 to keep a BOS or
     * padding id 0 out of the probe); seeded, so the same arguments give the same probe.
     */
    public static int[] generate(int batch, int n, int first, int vocab, long seed) {
        if (n < 2 || batch < 1) throw new IllegalArgumentException("need n ≥ 2 and batch ≥ 1, got n " + n + ", batch " + batch);
        if (first < 0 || first >= vocab) throw new IllegalArgumentException("first id " + first + " outside vocab " + vocab);
        SplittableRandom r = new SplittableRandom(seed);
        int[] ids = new int[batch * 2 * n];
        for (int b = 0; b < batch; b++) {
            for (int i = 0; i < n; i++) {
                int token = first + r.nextInt(vocab - first);
                ids[b * 2 * n + i] = token;
                ids[b * 2 * n + n + i] = token;
            }
        }
        return ids;
    }
}
