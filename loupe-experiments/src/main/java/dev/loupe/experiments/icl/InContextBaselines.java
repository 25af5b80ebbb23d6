package dev.loupe.experiments.icl;

/**
 * The learning algorithms the trained models are compared with, run on each task's N examples and
 * evaluated at its query (float64):
 * <pre>
 *   gradient descent on L(w) = 1/(2N) Σ_i (wᵀx_i − y_i)² from w = 0:  w ← w − η/N Σ_i (wᵀx_i − y_i) x_i
 *     one step:  ŷ = η/N Σ_i y_i x_iᵀx_q           (von Oswald et al.: what one linear self-attention layer computes)
 *   ridge:       ŷ = x_qᵀ(XᵀX + λI)⁻¹Xᵀy           (λ → 0: the Bayes-optimal answer for noise-free y = wᵀx, w ~ N(0, I))
 * </pre>
 */
public final class InContextBaselines {
    private InContextBaselines() {}

    /** Predictions ŷ_q [B] of k gradient-descent steps with learning rate η. */
    public static double[] gradientDescent(RegressionTasks t, int steps, double lr) {
        int d = t.d(), n = t.n();
        double[] out = new double[t.batch()];
        double[] w = new double[d], g = new double[d];
        for (int b = 0; b < t.batch(); b++) {
            java.util.Arrays.fill(w, 0);
            for (int k = 0; k < steps; k++) {
                java.util.Arrays.fill(g, 0);
                for (int i = 0; i < n; i++) {
                    double r = -t.y()[b][i];
                    for (int j = 0; j < d; j++) r += w[j] * t.x()[b][i][j];
                    for (int j = 0; j < d; j++) g[j] += r * t.x()[b][i][j];
                }
                for (int j = 0; j < d; j++) w[j] -= lr / n * g[j];
            }
            out[b] = dot(w, t.x()[b][n]);
        }
        return out;
    }

    /**
     * The learning rate of {@code steps} GD steps with the smallest query MSE on {@code tune}: in
     * closed form for one step (ŷ is linear in η: η* = Σ a·y / Σ a² with a = ŷ at η = 1), else the
     * best of a log grid of 60 rates in [1e-3, 2) (η ≥ 2/λ_max diverges).
     */
    public static double bestLearningRate(RegressionTasks tune, int steps) {
        double[] y = tune.targets();
        if (steps == 1) {
            double[] a = gradientDescent(tune, 1, 1.0);
            double ay = 0, aa = 0;
            for (int b = 0; b < a.length; b++) {
                ay += a[b] * y[b];
                aa += a[b] * a[b];
            }
            return aa == 0 ? 0 : ay / aa;
        }
        double best = Double.POSITIVE_INFINITY, bestLr = 0;
        for (int i = 0; i < 60; i++) {
            double lr = 1e-3 * Math.pow(2000, i / 60.0);
            double mse = mse(gradientDescent(tune, steps, lr), y);
            if (mse < best) {
                best = mse;
                bestLr = lr;
            }
        }
        return bestLr;
    }

    /** Ridge predictions ŷ_q = x_qᵀ(XᵀX + λI)⁻¹Xᵀy [B]. */
    public static double[] ridge(RegressionTasks t, double lambda) {
        int d = t.d(), n = t.n();
        double[] out = new double[t.batch()];
        for (int b = 0; b < t.batch(); b++) {
            double[][] a = new double[d][d + 1];                           // [XᵀX + λI | Xᵀy]
            for (int i = 0; i < n; i++) {
                double[] x = t.x()[b][i];
                for (int j = 0; j < d; j++) {
                    for (int k = 0; k < d; k++) a[j][k] += x[j] * x[k];
                    a[j][d] += x[j] * t.y()[b][i];
                }
            }
            for (int j = 0; j < d; j++) a[j][j] += lambda;
            out[b] = dot(solveSpd(a, d), t.x()[b][n]);
        }
        return out;
    }

    /** Solves the augmented system [A | rhs] (A symmetric positive definite, d × d) by Cholesky. */
    static double[] solveSpd(double[][] a, int d) {
        double[][] l = new double[d][d];
        for (int i = 0; i < d; i++) {
            for (int j = 0; j <= i; j++) {
                double s = a[i][j];
                for (int k = 0; k < j; k++) s -= l[i][k] * l[j][k];
                l[i][j] = i == j ? Math.sqrt(s) : s / l[j][j];
            }
        }
        double[] z = new double[d], w = new double[d];
        for (int i = 0; i < d; i++) {
            double s = a[i][d];
            for (int k = 0; k < i; k++) s -= l[i][k] * z[k];
            z[i] = s / l[i][i];
        }
        for (int i = d - 1; i >= 0; i--) {
            double s = z[i];
            for (int k = i + 1; k < d; k++) s -= l[k][i] * w[k];
            w[i] = s / l[i][i];
        }
        return w;
    }

    /** Mean of (p − y)². */
    public static double mse(double[] p, double[] y) {
        double s = 0;
        for (int i = 0; i < p.length; i++) s += (p[i] - y[i]) * (p[i] - y[i]);
        return s / p.length;
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }
}
