package dev.loupe.model;

import dev.loupe.tensor.Tensor;

/**
 * The gate of one highway-gated sublayer (SPEC §"Variants"; Srivastava et al. 2015): how much of
 * the sublayer's output F(x) enters the residual stream, per token (scalar gate) or per token and
 * dimension (vector gate). The gate reads u = LN(x), the same normalised input as its sublayer.
 *
 * <pre>
 *   T = σ(u · W_T + b_T)                      // [N, d] · [d, w] → [N, w];  w = d (vector) or 1 (scalar)
 *   highway          y = T⊙F + (1 − T)⊙x     // T broadcast over d when w = 1
 *   gated_residual   y = x + T⊙F
 *   backward:  dF = T⊙dy
 *              dx = (1 − T)⊙dy  (highway)  or  dy  (gated_residual)       // the carry path
 *              dT = (F − x)⊙dy  (highway)  or  F⊙dy                       // summed over d when w = 1
 *              dz = dT ⊙ T(1 − T);   du += dz · W_Tᵀ;  dW_T += uᵀ · dz;  db_T += Σ_rows dz
 * </pre>
 * Rows are positions b·T + t; every buffer is a contiguous row-major [N, ·] tensor.
 */
public final class HighwayGate {
    /** W_T [d_model, w] and b_T [w] in Conv1D orientation ({@code h.{i}.attn_gate}, {@code h.{i}.mlp_gate}). */
    public final Linear linear;
    public final HighwaySettings.Mode mode;
    /** w: d_model for a vector gate, 1 for a scalar gate. */
    public final int width;

    public HighwayGate(Linear linear, HighwaySettings.Mode mode) {
        this.linear = linear;
        this.mode = mode;
        this.width = linear.outFeatures();
    }

    /** T [N, w] (overwritten) = σ(u [N, d] · W_T + b_T). */
    public void gate(Tensor u, Tensor t) {
        linear.forward(u, t);
        float[] a = t.data();
        int off = t.offset(), n = t.size();
        for (int i = off; i < off + n; i++) a[i] = sigmoid(a[i]);
    }

    /** y [N, d] (overwritten; may alias x) = the gated combination of the stream x [N, d] and the sublayer output f [N, d]. */
    public void combine(Tensor x, Tensor f, Tensor t, Tensor y) {
        int d = x.dim(1), rows = x.dim(0);
        float[] xs = x.data(), fs = f.data(), ts = t.data(), ys = y.data();
        int xo = x.offset(), fo = f.offset(), to = t.offset(), yo = y.offset();
        boolean highway = mode == HighwaySettings.Mode.HIGHWAY;
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < d; j++) {
                float g = ts[to + r * width + (width == 1 ? 0 : j)];
                float xv = xs[xo + r * d + j], fv = fs[fo + r * d + j];
                ys[yo + r * d + j] = highway ? g * fv + (1f - g) * xv : xv + g * fv;
            }
        }
    }

    /**
     * Backward of {@link #combine} and {@link #gate}. On entry {@code dy} [N, d] is d(loss)/dy; on
     * exit it holds the carry path's share of d(loss)/dx ((1 − T)⊙dy for highway, unchanged for the
     * gated residual). Writes dF [N, d] (overwritten, returned) for the sublayer's backward, uses
     * {@code dz} [N, w] as scratch, accumulates du (+=) [N, d] and W_T's, b_T's gradients.
     *
     * @param x the stream the sublayer read [N, d]; f its output F(x) [N, d]; t the gate [N, w]; u = LN(x) [N, d]
     */
    Tensor backward(Tensor dy, Tensor x, Tensor f, Tensor t, Tensor u, Tensor dF, Tensor dz, Tensor du) {
        int d = x.dim(1), rows = x.dim(0);
        float[] dys = dy.data(), xs = x.data(), fs = f.data(), ts = t.data(), dfs = dF.data(), dzs = dz.data();
        int dyo = dy.offset(), xo = x.offset(), fo = f.offset(), to = t.offset(), dfo = dF.offset(), dzo = dz.offset();
        boolean highway = mode == HighwaySettings.Mode.HIGHWAY;
        for (int r = 0; r < rows; r++) {
            float scalarDt = 0f;
            for (int j = 0; j < d; j++) {
                int k = r * d + j;
                int ti = r * width + (width == 1 ? 0 : j);
                float g = ts[to + ti], dyv = dys[dyo + k], fv = fs[fo + k];
                dfs[dfo + k] = g * dyv;
                float dT = (highway ? fv - xs[xo + k] : fv) * dyv;
                if (width == 1) scalarDt += dT;
                else dzs[dzo + ti] = dT * g * (1f - g);
                if (highway) dys[dyo + k] = (1f - g) * dyv;
            }
            if (width == 1) {
                float g = ts[to + r];
                dzs[dzo + r] = scalarDt * g * (1f - g);
            }
        }
        linear.backward(dz.reshape(rows, width), u, du);
        return dF;
    }

    static float sigmoid(float z) {
        return (float) (1.0 / (1.0 + Math.exp(-z)));
    }
}
