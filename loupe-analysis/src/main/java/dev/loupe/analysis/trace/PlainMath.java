package dev.loupe.analysis.trace;

import dev.loupe.tensor.Tensor;

/**
 * The arithmetic of a transformer written as plain loops over {@code double[][]} (rows are
 * positions, row vectors times matrices as in GPT-2's Conv1D: {@code y = x·W + b}). Slow and
 * obvious on purpose: the trace shows a learner every number, and its tests hold these loops up
 * against the model's fast kernels, which share none of this code.
 */
public final class PlainMath {
    private PlainMath() {}

    /** A [rows, cols] tensor's values in double. */
    public static double[][] of(Tensor t) {
        if (t.rank() == 1) return new double[][] {toDouble(t.toArray())};
        if (t.rank() != 2) throw new IllegalArgumentException("expected a matrix, got rank " + t.rank());
        double[][] m = new double[t.dim(0)][t.dim(1)];
        for (int i = 0; i < m.length; i++) {
            for (int j = 0; j < m[i].length; j++) m[i][j] = t.get(i, j);
        }
        return m;
    }

    /** A vector [n] of a rank-1 tensor. */
    public static double[] vector(Tensor t) {
        return toDouble(t.contiguous().toArray());
    }

    /** The same numbers as a float32 tensor [rows, cols]. */
    public static Tensor tensor(double[][] m) {
        int cols = m.length == 0 ? 0 : m[0].length;
        Tensor t = Tensor.zeros(m.length, cols);
        for (int i = 0; i < m.length; i++) {
            for (int j = 0; j < cols; j++) t.set((float) m[i][j], i, j);
        }
        return t;
    }

    /** A row vector [1, n]. */
    public static double[][] row(double[] v) {
        return new double[][] {v.clone()};
    }

    /** A column vector [n, 1]. */
    public static double[][] column(double[] v) {
        double[][] m = new double[v.length][1];
        for (int i = 0; i < v.length; i++) m[i][0] = v[i];
        return m;
    }

    /** x·W: [n, k]·[k, m] → [n, m]. */
    public static double[][] matmul(double[][] x, double[][] w) {
        int n = x.length, k = w.length, m = w[0].length;
        double[][] y = new double[n][m];
        for (int i = 0; i < n; i++) {
            if (x[i].length != k) throw new IllegalArgumentException("inner sizes differ: " + x[i].length + " vs " + k);
            for (int j = 0; j < m; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) s += x[i][p] * w[p][j];
                y[i][j] = s;
            }
        }
        return y;
    }

    /** Mᵀ. */
    public static double[][] transpose(double[][] a) {
        double[][] t = new double[a[0].length][a.length];
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[0].length; j++) t[j][i] = a[i][j];
        }
        return t;
    }

    /** a + b, elementwise. */
    public static double[][] add(double[][] a, double[][] b) {
        double[][] y = new double[a.length][a[0].length];
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[0].length; j++) y[i][j] = a[i][j] + b[i][j];
        }
        return y;
    }

    /** Every row plus the vector b (a bias broadcast over positions). */
    public static double[][] addRow(double[][] a, double[] b) {
        double[][] y = new double[a.length][];
        for (int i = 0; i < a.length; i++) {
            y[i] = new double[b.length];
            for (int j = 0; j < b.length; j++) y[i][j] = a[i][j] + b[j];
        }
        return y;
    }

    /** s·a. */
    public static double[][] scale(double[][] a, double s) {
        double[][] y = new double[a.length][a[0].length];
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[0].length; j++) y[i][j] = a[i][j] * s;
        }
        return y;
    }

    /** Columns [from, to) of a. */
    public static double[][] columns(double[][] a, int from, int to) {
        double[][] y = new double[a.length][];
        for (int i = 0; i < a.length; i++) y[i] = java.util.Arrays.copyOfRange(a[i], from, to);
        return y;
    }

    /** Rows [from, to) of a (copies). */
    public static double[][] rows(double[][] a, int from, int to) {
        double[][] y = new double[to - from][];
        for (int i = from; i < to; i++) y[i - from] = a[i].clone();
        return y;
    }

    /** Mean of each row [n]. */
    public static double[] rowMean(double[][] x) {
        double[] mu = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            for (double v : x[i]) mu[i] += v;
            mu[i] /= x[i].length;
        }
        return mu;
    }

    /** σ of each row: √(mean((x − μ)²) + ε), the biased variance as LayerNorm uses it. */
    public static double[] rowSigma(double[][] x, double[] mu, double eps) {
        double[] s = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            double var = 0;
            for (double v : x[i]) var += (v - mu[i]) * (v - mu[i]);
            s[i] = Math.sqrt(var / x[i].length + eps);
        }
        return s;
    }

    /** x̂ = (x − μ)/σ per row. */
    public static double[][] standardize(double[][] x, double[] mu, double[] sigma) {
        double[][] y = new double[x.length][x[0].length];
        for (int i = 0; i < x.length; i++) {
            for (int j = 0; j < x[0].length; j++) y[i][j] = (x[i][j] - mu[i]) / sigma[i];
        }
        return y;
    }

    /** γ ⊙ x̂ + β per row. */
    public static double[][] affine(double[][] xhat, double[] gamma, double[] beta) {
        double[][] y = new double[xhat.length][gamma.length];
        for (int i = 0; i < xhat.length; i++) {
            for (int j = 0; j < gamma.length; j++) y[i][j] = gamma[j] * xhat[i][j] + beta[j];
        }
        return y;
    }

    /** Softmax of one vector: exp(z_j − max) / Σ exp(z_k − max); −∞ entries get probability 0. */
    public static double[] softmax(double[] z) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : z) max = Math.max(max, v);
        double[] p = new double[z.length];
        double sum = 0;
        for (int j = 0; j < z.length; j++) {
            p[j] = Math.exp(z[j] - max);
            sum += p[j];
        }
        for (int j = 0; j < z.length; j++) p[j] /= sum;
        return p;
    }

    /** Softmax of every row. */
    public static double[][] softmaxRows(double[][] z) {
        double[][] p = new double[z.length][];
        for (int i = 0; i < z.length; i++) p[i] = softmax(z[i]);
        return p;
    }

    /** Sum of each row [n]. */
    public static double[] rowSums(double[][] x) {
        double[] s = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            for (double v : x[i]) s[i] += v;
        }
        return s;
    }

    /** GELU, GPT-2's tanh approximation: ½·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). */
    public static double gelu(double x) {
        return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
    }

    /** SiLU x·σ(x), SwiGLU's gate. */
    public static double silu(double x) {
        return x / (1 + Math.exp(-x));
    }

    /** ReLU max(0, x). */
    public static double relu(double x) {
        return Math.max(0, x);
    }

    /** Index of the largest entry (the first on ties). */
    public static int argmax(double[] z) {
        int best = 0;
        for (int j = 1; j < z.length; j++) {
            if (z[j] > z[best]) best = j;
        }
        return best;
    }

    /** cos(a, b) = a·b / (|a|·|b|); 0 when either is the zero vector. */
    public static double cosine(double[] a, double[] b) {
        double ab = 0, aa = 0, bb = 0;
        for (int i = 0; i < a.length; i++) {
            ab += a[i] * b[i];
            aa += a[i] * a[i];
            bb += b[i] * b[i];
        }
        return aa == 0 || bb == 0 ? 0 : ab / Math.sqrt(aa * bb);
    }

    /** |a|. */
    public static double norm(double[] a) {
        double s = 0;
        for (double v : a) s += v * v;
        return Math.sqrt(s);
    }

    private static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }
}
