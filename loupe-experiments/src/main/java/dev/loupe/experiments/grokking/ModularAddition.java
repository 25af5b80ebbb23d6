package dev.loupe.experiments.grokking;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The modular-addition data set: every pair (a, b) ∈ Z_p², numbered a·p + b, as the sequence
 * "a b =" (ids a, b, p) with the answer (a + b) mod p at the last position; a seeded random
 * {@code trainFraction} of the pairs is the training set, the rest the test set.
 *
 * @param p     the modulus
 * @param train pair numbers of the training set, ascending
 * @param test  pair numbers of the test set, ascending
 */
public record ModularAddition(int p, int[] train, int[] test) {
    /** Sequence length: a, b, "=". */
    public static final int SEQ = 3;

    /** Splits the p² pairs: round(fraction·p²) of them, drawn by a Fisher–Yates shuffle seeded with {@code seed}, are for training. */
    public static ModularAddition split(int p, double fraction, long seed) {
        int n = p * p;
        int[] order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        int k = (int) Math.round(fraction * n);
        int[] train = Arrays.copyOf(order, k), test = Arrays.copyOfRange(order, k, n);
        Arrays.sort(train);
        Arrays.sort(test);
        return new ModularAddition(p, train, test);
    }

    /** Every pair number 0 … p²−1. */
    public int[] all() {
        int[] out = new int[p * p];
        for (int i = 0; i < out.length; i++) out[i] = i;
        return out;
    }

    /** The token ids [pairs.length · 3] of "a b =" for each pair, row-major. */
    public int[] inputs(int[] pairs) {
        int[] ids = new int[pairs.length * SEQ];
        for (int i = 0; i < pairs.length; i++) {
            ids[SEQ * i] = pairs[i] / p;
            ids[SEQ * i + 1] = pairs[i] % p;
            ids[SEQ * i + 2] = p;
        }
        return ids;
    }

    /** The answers (a + b) mod p [pairs.length]. */
    public int[] answers(int[] pairs) {
        int[] y = new int[pairs.length];
        for (int i = 0; i < pairs.length; i++) y[i] = (pairs[i] / p + pairs[i] % p) % p;
        return y;
    }
}
