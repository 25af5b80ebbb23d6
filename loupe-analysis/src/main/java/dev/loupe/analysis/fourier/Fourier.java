package dev.loupe.analysis.fourier;

import java.util.Locale;

/**
 * The real Fourier basis of Z_p (p odd), as Nanda et al. ("Progress measures for grokking via
 * mechanistic interpretability", 2023) use it to read a modular-addition transformer: p orthonormal
 * vectors over x = 0 … p−1,
 *
 * <pre>
 *   row 0        const(x) = 1/√p
 *   row 2k − 1   cos_k(x) = cos(2πkx/p) · √(2/p)        k = 1 … (p−1)/2
 *   row 2k       sin_k(x) = sin(2πkx/p) · √(2/p)
 * </pre>
 *
 * so F [p, p] (rows = basis vectors) satisfies F·Fᵀ = I. A matrix M [p, n] indexed by a token
 * x ∈ Z_p along its rows (e.g. W_E restricted to the number tokens) has coefficients F·M [p, n]; a
 * model that computes with a few frequencies k has a sparse spectrum of such coefficients.
 */
public final class Fourier {
    private final int p;
    private final double[][] basis;   // [p][p]

    private Fourier(int p) {
        this.p = p;
        basis = new double[p][p];
        double c = 1 / Math.sqrt(p), s = Math.sqrt(2.0 / p);
        for (int x = 0; x < p; x++) basis[0][x] = c;
        for (int k = 1; k <= frequencies(); k++) {
            for (int x = 0; x < p; x++) {
                double angle = 2 * Math.PI * (((long) k * x) % p) / p;   // reduced mod p: exact angles
                basis[cosRow(k)][x] = Math.cos(angle) * s;
                basis[sinRow(k)][x] = Math.sin(angle) * s;
            }
        }
    }

    /** The basis of Z_p; p must be odd and at least 3 (then every k pairs a cosine and a sine). */
    public static Fourier of(int p) {
        if (p < 3 || p % 2 == 0) throw new IllegalArgumentException("the Fourier basis here needs an odd p ≥ 3, got " + p);
        return new Fourier(p);
    }

    /** p. */
    public int p() {
        return p;
    }

    /** Number of frequencies, (p − 1)/2. */
    public int frequencies() {
        return (p - 1) / 2;
    }

    /** Row of cos_k in the basis, 2k − 1. */
    public static int cosRow(int k) {
        return 2 * k - 1;
    }

    /** Row of sin_k in the basis, 2k. */
    public static int sinRow(int k) {
        return 2 * k;
    }

    /** The frequency of basis row i (0 for the constant). */
    public static int frequencyOf(int row) {
        return (row + 1) / 2;
    }

    /** basis[i][x], the value of basis vector i at x. */
    public double at(int i, int x) {
        return basis[i][x];
    }

    /** A copy of F [p][p], rows = basis vectors. */
    public double[][] basis() {
        double[][] out = new double[p][];
        for (int i = 0; i < p; i++) out[i] = basis[i].clone();
        return out;
    }

    /** "const", "cos k" or "sin k" for basis row i. */
    public String label(int row) {
        if (row == 0) return "const";
        return String.format(Locale.ROOT, "%s %d", row % 2 == 1 ? "cos" : "sin", frequencyOf(row));
    }

    /** F·M: the coefficients [p][n] of the columns of M [p][n] (rows indexed by x ∈ Z_p). */
    public double[][] transform(double[][] m) {
        if (m.length != p) throw new IllegalArgumentException("expected " + p + " rows, got " + m.length);
        int n = m[0].length;
        double[][] out = new double[p][n];
        for (int i = 0; i < p; i++) {
            double[] o = out[i], f = basis[i];
            for (int x = 0; x < p; x++) {
                double w = f[x];
                double[] row = m[x];
                for (int j = 0; j < n; j++) o[j] += w * row[j];
            }
        }
        return out;
    }

    /** ‖(F·M)_i‖ for every basis row i [p]: how much of M lies along each basis vector. */
    public double[] componentNorms(double[][] m) {
        double[][] c = transform(m);
        double[] out = new double[p];
        for (int i = 0; i < p; i++) {
            double s = 0;
            for (double v : c[i]) s += v * v;
            out[i] = Math.sqrt(s);
        }
        return out;
    }

    /**
     * √(‖cos_k part‖² + ‖sin_k part‖²) for k = 1 … (p−1)/2 (index k − 1): the norm of M in each
     * frequency, the sparse spectrum of W_E in Nanda et al.'s Figure 3.
     */
    public double[] frequencyNorms(double[][] m) {
        double[] c = componentNorms(m);
        double[] out = new double[frequencies()];
        for (int k = 1; k <= out.length; k++) out[k - 1] = Math.hypot(c[cosRow(k)], c[sinRow(k)]);
        return out;
    }
}
