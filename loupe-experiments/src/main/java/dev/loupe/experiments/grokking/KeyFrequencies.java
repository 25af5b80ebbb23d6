package dev.loupe.experiments.grokking;

import dev.loupe.analysis.fourier.Fourier;

import java.util.ArrayList;
import java.util.List;

/**
 * The key frequencies of a trained modular-addition model, found as Nanda et al. do (§4.2): the MLP
 * neurons cluster by frequency. Each neuron's activation at "=" as a function of (a, b) is taken to
 * the 2D Fourier basis (F·A·Fᵀ, [p, p]); the share of its non-constant energy in frequency k is the
 * energy of the terms built from {1, cos_k, sin_k} in a and in b (k's terms in a alone, b alone and
 * their products). A neuron belongs to frequency k when that share is at least {@value #NEURON_SHARE};
 * a frequency is key when at least {@value #CLUSTER_SHARE} of the neurons (and at least 2) belong to it.
 *
 * @param keys                the key frequencies, ascending, each in 1 … (p−1)/2
 * @param neuronFrequency     [d_mlp]: the frequency each neuron belongs to, 0 for none (dead or mixed)
 * @param neuronShare         [d_mlp]: the share of the neuron's energy in its best frequency
 * @param neuronsPerFrequency [(p−1)/2 + 1]: how many neurons belong to each frequency (index k)
 */
public record KeyFrequencies(int[] keys, int[] neuronFrequency, double[] neuronShare, int[] neuronsPerFrequency) {
    /** A neuron with at least this share of its energy in one frequency belongs to it. */
    public static final double NEURON_SHARE = 0.5;
    /** A frequency is key when at least this share of the neurons belong to it. */
    public static final double CLUSTER_SHARE = 0.01;

    /** From the neurons' activations [p²·d_mlp] (row a·p + b) at the last position. */
    public static KeyFrequencies find(float[] activations, int p, int dMlp, Fourier f) {
        int n = p * p;
        if (activations.length != n * dMlp) throw new IllegalArgumentException("expected " + n + "×" + dMlp + " activations");
        double[][] basis = f.basis();
        int kMax = f.frequencies();
        int[] freq = new int[dMlp], perFreq = new int[kMax + 1];
        double[] share = new double[dMlp];
        double[][] grid = new double[p][p], half = new double[p][p];
        for (int u = 0; u < dMlp; u++) {
            for (int a = 0; a < p; a++) for (int b = 0; b < p; b++) grid[a][b] = activations[(a * p + b) * dMlp + u];
            for (int i = 0; i < p; i++) {                         // half = F·A   (over a)
                java.util.Arrays.fill(half[i], 0);
                for (int a = 0; a < p; a++) {
                    double w = basis[i][a];
                    double[] row = grid[a], h = half[i];
                    for (int b = 0; b < p; b++) h[b] += w * row[b];
                }
            }
            double[][] c = new double[p][p];                      // C = F·A·Fᵀ  (over b)
            for (int i = 0; i < p; i++)
                for (int j = 0; j < p; j++) {
                    double s = 0;
                    double[] h = half[i], fj = basis[j];
                    for (int b = 0; b < p; b++) s += h[b] * fj[b];
                    c[i][j] = s * s;                              // energy
                }
            double total = -c[0][0];
            for (double[] row : c) for (double v : row) total += v;
            if (total <= 1e-12) continue;                         // a dead or constant neuron
            int best = 0;
            double bestShare = 0;
            for (int k = 1; k <= kMax; k++) {
                int[] idx = {0, Fourier.cosRow(k), Fourier.sinRow(k)};
                double e = -c[0][0];
                for (int i : idx) for (int j : idx) e += c[i][j];
                if (e / total > bestShare) {
                    bestShare = e / total;
                    best = k;
                }
            }
            share[u] = bestShare;
            if (bestShare >= NEURON_SHARE) {
                freq[u] = best;
                perFreq[best]++;
            }
        }
        int min = Math.max(2, (int) Math.ceil(CLUSTER_SHARE * dMlp));
        List<Integer> keys = new ArrayList<>();
        for (int k = 1; k <= kMax; k++) if (perFreq[k] >= min) keys.add(k);
        return new KeyFrequencies(keys.stream().mapToInt(Integer::intValue).toArray(), freq, share, perFreq);
    }

    /** Number of neurons that belong to a key frequency. */
    public int neuronsInKeyFrequencies() {
        int s = 0;
        for (int k : keys) s += neuronsPerFrequency[k];
        return s;
    }
}
