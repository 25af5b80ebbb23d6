package dev.loupe.model;

import dev.loupe.tensor.Tensor;
import dev.loupe.tensor.ops.Ops;

/**
 * LayerNorm over d_model (Ba et al., 2016): each position's vector is centred, scaled to unit
 * variance, then stretched by γ and shifted by β. In the circuits reading it is one of the few
 * non-linear gates: it divides by a norm that depends on the whole residual vector.
 *
 * <pre>
 *   forward:  μ = mean(x), rstd = 1/√(var(x) + ε)          // per row of x [N, d_model]
 *             y = (x − μ) · rstd · γ + β                    // [N, d_model]
 *   backward: x̂ = (x − μ)·rstd,  dx̂ = dy ⊙ γ
 *             dx += rstd · (dx̂ − mean(dx̂) − x̂ · mean(dx̂ ⊙ x̂))
 *             dγ += Σ_rows dy ⊙ x̂,   dβ += Σ_rows dy
 * </pre>
 */
public final class LayerNorm {
    /** γ [d_model]. */
    public final Tensor weight;
    /** β [d_model]. */
    public final Tensor bias;
    final Tensor dWeight;
    final Tensor dBias;
    /** ε. */
    public final float eps;

    public LayerNorm(Tensor weight, Tensor bias, Tensor dWeight, Tensor dBias, float eps) {
        this.weight = weight;
        this.bias = bias;
        this.dWeight = dWeight;
        this.dBias = dBias;
        this.eps = eps;
    }

    /** y [N, d] = LN(x [N, d]); mean and rstd [N] are kept for {@link #backward}. */
    public void forward(Tensor x, Tensor y, Tensor mean, Tensor rstd) {
        Ops.layerNormInto(x, weight, bias, eps, y, mean, rstd);
    }

    /**
     * y = (x − μ) · rstd · γ + β with given statistics (used when a hook edits {@code hook_scale});
     * plain scalar loops, off the hot path.
     */
    void normalizeWith(Tensor x, Tensor mean, Tensor rstd, Tensor y) {
        int n = x.dim(0), d = x.dim(1);
        for (int r = 0; r < n; r++) {
            float mu = mean.get(r), rs = rstd.get(r);
            for (int j = 0; j < d; j++) y.set((x.get(r, j) - mu) * rs * weight.get(j) + bias.get(j), r, j);
        }
    }

    /** Accumulates dx [N, d] (+=), dγ and dβ from dy [N, d] and the forward's x, mean, rstd. */
    public void backward(Tensor dy, Tensor x, Tensor mean, Tensor rstd, Tensor dx) {
        Ops.layerNormBackward(dy, x, mean, rstd, weight, dx, dWeight, dBias);
    }
}
