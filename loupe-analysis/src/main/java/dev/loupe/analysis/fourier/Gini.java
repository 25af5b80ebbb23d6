package dev.loupe.analysis.fourier;

import java.util.Arrays;

/**
 * The Gini coefficient of non-negative numbers, Nanda et al.'s measure of how sparse a Fourier
 * spectrum is: 0 when every entry is equal, → 1 when one entry holds everything.
 *
 * <pre>
 *   x sorted ascending, i = 1 … n:   G = Σ_i (2i − n − 1) · x_i / (n · Σ_i x_i)
 * </pre>
 */
public final class Gini {
    private Gini() {}

    /** G of {@code x} (all ≥ 0, not all 0). */
    public static double of(double[] x) {
        double[] s = x.clone();
        Arrays.sort(s);
        if (s.length == 0 || s[0] < 0) throw new IllegalArgumentException("the Gini coefficient needs non-negative values");
        int n = s.length;
        double num = 0, sum = 0;
        for (int i = 0; i < n; i++) {
            num += (2.0 * (i + 1) - n - 1) * s[i];
            sum += s[i];
        }
        if (sum == 0) throw new IllegalArgumentException("the Gini coefficient of all zeros is undefined");
        return num / (n * sum);
    }
}
