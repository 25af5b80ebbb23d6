package dev.loupe.model;

import dev.loupe.tensor.Parallel;
import dev.loupe.tensor.Tensor;

/**
 * The position-wise MLP: up-projection {@code c_fc}, a non-linearity φ, down-projection
 * {@code c_proj}. Seen from the residual stream, its hidden units are the "neurons" that read
 * directions with W_in and write directions with W_out.
 *
 * <pre>
 *   GELU / ReLU:   pre  = x · W_fc + b_fc                // [N, d] → [N, d_mlp]
 *                  post = φ(pre)                          // gelu: GPT-2's tanh form; relu: max(0, ·)
 *   SwiGLU:        pre  = x · W_fc + b_fc                // [N, d] → [N, 2·d_mlp], columns gate | up
 *                  post = silu(gate) ⊙ up                 // [N, d_mlp] (Shazeer, 2020)
 *   all:           out  = post · W_proj + b_proj          // [N, d_mlp] → [N, d]
 *   backward:      dpost = dout · W_projᵀ (+ dW_proj, db_proj)
 *                  GELU/ReLU: dpre = φ'(pre) ⊙ dpost
 *                  SwiGLU:    dgate = dpost ⊙ up ⊙ silu'(gate),  dup = dpost ⊙ silu(gate)
 *                  dx += dpre · W_fcᵀ (+ dW_fc, db_fc)
 * </pre>
 */
public final class Mlp {
    public final GptConfig.Mlp kind;
    /** c_fc: W_in [d_model, d_mlp] (SwiGLU: [d_model, 2·d_mlp], gate | up). */
    public final Linear fc;
    /** c_proj: W_out [d_mlp, d_model]. */
    public final Linear proj;
    private final int dMlp;

    public Mlp(GptConfig.Mlp kind, Linear fc, Linear proj) {
        if (kind == GptConfig.Mlp.NONE) throw new IllegalArgumentException("an attention-only block has no MLP");
        this.kind = kind;
        this.fc = fc;
        this.proj = proj;
        this.dMlp = proj.weight.dim(0);
    }

    /** Width of c_fc's output: d_mlp, or 2·d_mlp for SwiGLU (gate and up side by side). */
    public static int hiddenWidth(GptConfig c) {
        return c.mlp() == GptConfig.Mlp.SWIGLU ? 2 * c.dMlp() : c.dMlp();
    }

    /** out [N, d] = MLP(x [N, d]); keeps pre [N, hidden] and post [N, d_mlp] for backward. */
    public void forward(Tensor x, Tensor pre, Tensor post, Tensor out) {
        fc.forward(x, pre);
        activate(pre, post);
        proj.forward(post, out);
    }

    /** Accumulates dx [N, d] (+=) and parameter gradients from dout [N, d]. */
    void backward(Tensor dout, Tensor x, Tensor pre, Tensor post, Tensor dPost, Tensor dPre, Tensor dx) {
        dPost.fill(0f);
        proj.backward(dout, post, dPost);
        activateBackward(pre, dPost, dPre);
        fc.backward(dPre, x, dx);
    }

    /** post = φ(pre), row by row. */
    void activate(Tensor pre, Tensor post) {
        int w = pre.dim(1), rows = pre.dim(0);
        float[] a = pre.contiguousData(), o = post.contiguousData();
        int ao = pre.offset(), oo = post.offset();
        Parallel.forRange(rows, Math.max(1, 8192 / w), (from, to) -> {
            for (int r = from; r < to; r++) {
                int pi = ao + r * w, qi = oo + r * dMlp;
                switch (kind) {
                    case GELU -> { for (int j = 0; j < dMlp; j++) o[qi + j] = ModelKernels.gelu(a[pi + j]); }
                    case RELU -> { for (int j = 0; j < dMlp; j++) o[qi + j] = Math.max(0f, a[pi + j]); }
                    case SWIGLU -> {
                        for (int j = 0; j < dMlp; j++) o[qi + j] = ModelKernels.silu(a[pi + j]) * a[pi + dMlp + j];
                    }
                    case NONE -> throw new IllegalStateException();
                }
            }
        });
    }

    /** dpre (overwritten) from dpost and the saved pre-activations. */
    void activateBackward(Tensor pre, Tensor dPost, Tensor dPre) {
        int w = pre.dim(1), rows = pre.dim(0);
        float[] a = pre.contiguousData(), g = dPost.contiguousData(), o = dPre.contiguousData();
        int ao = pre.offset(), go = dPost.offset(), oo = dPre.offset();
        Parallel.forRange(rows, Math.max(1, 8192 / w), (from, to) -> {
            for (int r = from; r < to; r++) {
                int pi = ao + r * w, gi = go + r * dMlp, di = oo + r * w;
                switch (kind) {
                    case GELU -> { for (int j = 0; j < dMlp; j++) o[di + j] = ModelKernels.geluGrad(a[pi + j]) * g[gi + j]; }
                    case RELU -> { for (int j = 0; j < dMlp; j++) o[di + j] = a[pi + j] > 0f ? g[gi + j] : 0f; }
                    case SWIGLU -> {
                        for (int j = 0; j < dMlp; j++) {
                            float gate = a[pi + j], up = a[pi + dMlp + j];
                            o[di + j] = g[gi + j] * up * ModelKernels.siluGrad(gate);
                            o[di + dMlp + j] = g[gi + j] * ModelKernels.silu(gate);
                        }
                    }
                    case NONE -> throw new IllegalStateException();
                }
            }
        });
    }
}
