package dev.loupe.experiments.icl;

import dev.loupe.model.AttentionKind;
import dev.loupe.tensor.Tensor;

/**
 * Hand-wired one-layer models (no training) that compute a learning algorithm through the library's
 * attention kernels, on tokens e = [x, y] with d_model = d + 1, W_in = I, one head of d_head = d + 1:
 * <pre>
 *   W_Q = W_K = [[I_d, 0], [0, 0]]  (q = k = [x, 0]),   W_V = W_O = e_y e_yᵀ  (v = [0, y]),   ŷ = c · (y slot)
 *   linear (identity φ, unnormalised):  ŷ = c Σ_{s≤q} y_s x_sᵀx_q                  = GD-1 with η = c·N   (von Oswald et al.)
 *   least squares (α):                  ŷ = c x_qᵀ(αI + Σ_{s≤q} x_s x_sᵀ)⁻¹ Σ_s x_s y_s
 *                                         = c · ridge_α(x_q) / (1 + x_qᵀ(αI + XᵀX)⁻¹x_q)
 * </pre>
 * The last line is Sherman–Morrison: the query's own key x_q enters H (causal attention includes
 * position q), so one least-squares layer on these tokens is ridge regression shrunk by that factor,
 * which tends to 1 as N grows (x_qᵀ(XᵀX)⁻¹x_q ≈ d/N).
 */
public final class Constructions {
    private Constructions() {}

    /** The GD-1 construction: a linear self-attention layer predicting c Σ y_s x_sᵀx_q. */
    public static IclModel gradientDescentStep(int d, double c) {
        return wire(AttentionKind.linear(AttentionKind.FeatureMap.IDENTITY, false), d, c);
    }

    /** The ridge construction: a least-squares layer with ridge α. */
    public static IclModel ridge(int d, double alpha) {
        return wire(AttentionKind.leastSquares((float) alpha, false), d, 1);
    }

    private static IclModel wire(AttentionKind kind, int d, double c) {
        int w = d + 1;
        IclModel m = new IclModel(kind, w, w, 1, 1, 0);
        m.parameters().values().forEach(t -> t.fill(0f));
        for (int i = 0; i < w; i++) m.in.weight.set(1f, i, i);                             // W_in = I
        var a = InContextRegression.layer(m, 0);
        Tensor wq = a.wQ(0), wk = a.wK(0), wv = a.wV(0), wo = a.wO(0);
        for (int i = 0; i < d; i++) {
            wq.set(1f, i, i);
            wk.set(1f, i, i);
        }
        wv.set(1f, d, d);
        wo.set(1f, d, d);
        m.out.weight.set((float) c, d, 0);                                                  // ŷ = c · y slot (the query's own y is 0)
        return m;
    }
}
