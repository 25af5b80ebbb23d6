package dev.loupe.experiments.induction;

import java.util.SplittableRandom;

/**
 * The training text of the quickstart and of {@code loupe reproduce induction}: a stream of symbols in
 * which spans recur. Most symbols are drawn independently from a Zipf-like distribution (frequent and
 * rare symbols, as in text, so unigram statistics are learned first); now and then the stream repeats
 * a span of 3–12 symbols from somewhere in the last {@code maxDistance} symbols, at a random distance.
 * Once a repeat has begun, its next symbol is predictable only by finding where the current symbol
 * occurred before and copying what followed it — the job of an induction head (Olsson et al. 2022) —
 * and because the distance varies, a head that copies from a fixed offset cannot do it.
 */
public final class CopyCorpus {
    /** The symbols, one character per token id: base64's alphabet, sorted as CharTokenizer orders ids. */
    public static final String ALPHABET = "+/0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    private CopyCorpus() {}

    /**
     * {@code tokens} ids in [0, vocab), seeded. A repeat starts at each position with probability
     * {@code repeatRate}; the Zipf exponent is 1 (p(k) ∝ 1/(k + 2)).
     */
    public static int[] generate(long seed, int tokens, int vocab, double repeatRate, int maxDistance) {
        return generate(seed, tokens, vocab, repeatRate, maxDistance, 0.0);
    }

    /**
     * As above, and outside repeats, with probability {@code trigram} the symbol is instead the fixed
     * successor s(a, b) of the two symbols before it (a random table): structure a head that looks
     * at the previous token can use on its own.
     */
    public static int[] generate(long seed, int tokens, int vocab, double repeatRate, int maxDistance, double trigram) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] cdf = new double[vocab];
        double total = 0;
        for (int k = 0; k < vocab; k++) cdf[k] = total += 1.0 / (k + 2);
        for (int k = 0; k < vocab; k++) cdf[k] /= total;
        int[] perm = new int[vocab]; // which id is the k-th most frequent: shuffled, so ids carry no rank
        for (int i = 0; i < vocab; i++) perm[i] = i;
        for (int i = vocab - 1; i > 0; i--) { int j = r.nextInt(i + 1); int t = perm[i]; perm[i] = perm[j]; perm[j] = t; }

        int[] successor = new int[vocab * vocab];
        for (int i = 0; i < successor.length; i++) successor[i] = r.nextInt(vocab);
        int[] out = new int[tokens];
        int p = 0;
        while (p < tokens) {
            if (p >= 16 && r.nextDouble() < repeatRate) {
                int len = 3 + r.nextInt(10);
                int distance = len + r.nextInt(Math.max(1, Math.min(p, maxDistance) - len + 1));
                for (int i = 0; i < len && p < tokens; i++, p++) out[p] = out[p - distance];
            } else if (p >= 2 && r.nextDouble() < trigram) {
                out[p] = successor[out[p - 2] * vocab + out[p - 1]];
                p++;
            } else {
                double u = r.nextDouble();
                int k = 0;
                while (k < vocab - 1 && cdf[k] < u) k++;
                out[p++] = perm[k];
            }
        }
        return out;
    }

    /** The ids as text in {@link #ALPHABET}. */
    public static String text(int[] ids, int from, int to) {
        StringBuilder sb = new StringBuilder();
        for (int i = from; i < to; i++) sb.append(ALPHABET.charAt(ids[i]));
        return sb.toString();
    }
}
