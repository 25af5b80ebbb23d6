package dev.loupe.experiments.icl;

import dev.loupe.tensor.Tensor;

import java.util.SplittableRandom;

/**
 * Von Oswald et al.'s in-context linear regression tasks: per sequence a fresh w ~ N(0, I_d), N
 * examples x_i ~ N(0, I_d) with y_i = wᵀx_i, and a query x_q. As tokens e_i = [x_i, y_i] [d + 1],
 * followed by the query token [x_q, 0]; the model's answer is read at the query position.
 *
 * @param x       [B][N + 1][d]: the examples' inputs, then the query's (index N)
 * @param y       [B][N + 1]: the examples' targets, then the query's true y (not in the tokens)
 */
public record RegressionTasks(double[][][] x, double[][] y, int n, int d) {

    /** B fresh tasks of N examples in d dimensions. */
    public static RegressionTasks sample(SplittableRandom r, int batch, int n, int d) {
        double[][][] x = new double[batch][n + 1][d];
        double[][] y = new double[batch][n + 1];
        double[] w = new double[d];
        for (int b = 0; b < batch; b++) {
            for (int i = 0; i < d; i++) w[i] = Tensor.gaussian(r);
            for (int t = 0; t <= n; t++) {
                double s = 0;
                for (int i = 0; i < d; i++) s += w[i] * (x[b][t][i] = Tensor.gaussian(r));
                y[b][t] = s;
            }
        }
        return new RegressionTasks(x, y, n, d);
    }

    public int batch() {
        return x.length;
    }

    /** The token sequences [B·(N + 1), d + 1]: [x_i, y_i] per example, [x_q, 0] last. */
    public Tensor tokens() {
        int t = n + 1, w = d + 1;
        float[] e = new float[batch() * t * w];
        for (int b = 0; b < batch(); b++) {
            for (int s = 0; s < t; s++) {
                int o = (b * t + s) * w;
                for (int i = 0; i < d; i++) e[o + i] = (float) x[b][s][i];
                e[o + d] = s < n ? (float) y[b][s] : 0f;
            }
        }
        return Tensor.of(e, batch() * t, w);
    }

    /** The query targets y_q [B]. */
    public double[] targets() {
        double[] q = new double[batch()];
        for (int b = 0; b < batch(); b++) q[b] = y[b][n];
        return q;
    }
}
