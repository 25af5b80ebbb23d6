package dev.loupe.experiments.icl;

import dev.loupe.model.Attention;
import dev.loupe.tensor.Tensor;

/**
 * The trained one-layer linear model's weights read in token space, against von Oswald et al.'s
 * gradient-descent construction. With tokens e = [x, y] and biases left aside, the layer's score and
 * its contribution to the answer are
 * <pre>
 *   q_t·k_s = e_t · M_QK · e_sᵀ,   M_QK = W_in W_Q W_Kᵀ W_inᵀ    [d+1, d+1]   (the paper's W_KᵀW_Q)
 *   ŷ gets (q_q·k_s) · (e_s · m_OV),   m_OV = W_in W_V W_O w_out  [d+1]       (the paper's W_P W_V, read out)
 * </pre>
 * The GD construction has M_QK ∝ [[I_d, 0], [0, 0]] (compare the inputs x_q·x_s) and m_OV ∝ e_y (move
 * the target y_s), so that ŷ = η Σ_s y_s x_sᵀx_q: one step of GD from w = 0 with η = c·m_y.
 *
 * @param qk          M_QK [d+1][d+1]
 * @param ov          m_OV [d+1]
 * @param qkCosine    cosine (Frobenius) of M_QK with [[I_d, 0], [0, 0]] (±1: the construction up to scale)
 * @param qkXxShare   share of ‖M_QK‖²_F in its x–x block
 * @param ovYShare    |m_OV[y]| / ‖m_OV‖
 * @param effectiveLr η = mean diagonal of the x–x block × m_OV[y], the GD learning rate the layer implements
 */
public record WeightReading(double[][] qk, double[] ov, double qkCosine, double qkXxShare, double ovYShare, double effectiveLr) {

    static WeightReading of(IclModel m, int d) {
        Attention a = InContextRegression.layer(m, 0);
        double[][] win = matrix(m.in.weight);                                  // [d+1, d_model]
        double[][] wq = matrix(a.wQ(0)), wk = matrix(a.wK(0)), wv = matrix(a.wV(0)), wo = matrix(a.wO(0));
        double[][] wout = matrix(m.out.weight);                                // [d_model, 1]
        double[][] q = mul(win, wq), k = mul(win, wk);                         // [d+1, d_head]
        double[][] qk = mul(q, transpose(k));                                  // [d+1, d+1]
        double[][] ovm = mul(mul(mul(win, wv), wo), wout);                     // [d+1, 1]
        double[] ov = new double[d + 1];
        for (int i = 0; i <= d; i++) ov[i] = ovm[i][0];
        double all = 0, xx = 0, trace = 0;
        for (int i = 0; i <= d; i++) {
            for (int j = 0; j <= d; j++) {
                all += qk[i][j] * qk[i][j];
                if (i < d && j < d) xx += qk[i][j] * qk[i][j];
            }
            if (i < d) trace += qk[i][i];
        }
        double ovNorm = 0;
        for (double v : ov) ovNorm += v * v;
        return new WeightReading(qk, ov, trace / Math.sqrt(all * d), xx / all, Math.abs(ov[d]) / Math.sqrt(ovNorm),
                trace / d * ov[d]);
    }

    static double[][] matrix(Tensor t) {
        double[][] m = new double[t.dim(0)][t.dim(1)];
        for (int i = 0; i < m.length; i++) for (int j = 0; j < m[0].length; j++) m[i][j] = t.get(i, j);
        return m;
    }

    static double[][] mul(double[][] a, double[][] b) {
        double[][] c = new double[a.length][b[0].length];
        for (int i = 0; i < a.length; i++)
            for (int k = 0; k < b.length; k++)
                for (int j = 0; j < b[0].length; j++) c[i][j] += a[i][k] * b[k][j];
        return c;
    }

    static double[][] transpose(double[][] a) {
        double[][] t = new double[a[0].length][a.length];
        for (int i = 0; i < a.length; i++) for (int j = 0; j < a[0].length; j++) t[j][i] = a[i][j];
        return t;
    }
}
