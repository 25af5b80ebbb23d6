package dev.loupe.experiments.superposition;

import java.util.SplittableRandom;

/**
 * The toy model's data: n features, each independently 0 with probability S (the sparsity) and
 * otherwise uniform in [0, 1]. A sample is drawn as its present features only — the gap to the next
 * present feature is geometric with success probability 1 − S — so drawing it costs O(present
 * features), not O(n), which matters at S = 0.999.
 */
final class SparseFeatures {
    private final int n;
    private final double sparsity, logSparsity;

    SparseFeatures(int n, double sparsity) {
        if (!(sparsity >= 0 && sparsity < 1)) throw new IllegalArgumentException("sparsity must be in [0, 1), got " + sparsity);
        this.n = n;
        this.sparsity = sparsity;
        this.logSparsity = Math.log(sparsity);
    }

    /** Writes the present features' indices (ascending) into idx[0 …] and their values into val[at …]; returns how many. */
    int sample(SplittableRandom r, int[] idx, float[] val, int at) {
        int count = 0;
        if (sparsity == 0) {
            for (int i = 0; i < n; i++) {
                idx[i] = i;
                val[at + i] = (float) r.nextDouble();
            }
            return n;
        }
        int i = -1;
        while (true) {
            double u = 1 - r.nextDouble();                 // (0, 1]
            double gap = Math.floor(Math.log(u) / logSparsity);   // failures before the next present feature
            if (gap >= n - i - 1) return count;
            i += 1 + (int) gap;
            idx[count] = i;
            val[at + count++] = (float) r.nextDouble();
        }
    }
}
