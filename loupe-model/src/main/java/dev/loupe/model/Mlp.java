package dev.loupe.model;

import dev.loupe.tensor.Tensor;
import dev.loupe.tensor.ops.Ops;

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
 * A mixture-of-experts layer (SPEC §"Variants") is an Mlp too: {@link #mixture} is then set, and
 * {@link #fc}/{@link #proj} are null (each expert is a dense Mlp of its own); forward and backward
 * delegate to the mixture, so the block runs either the same way.
 */
public final class Mlp {
    public final GptConfig.Mlp kind;
    /** c_fc: W_in [d_model, d_mlp] (SwiGLU: [d_model, 2·d_mlp], gate | up); null for a mixture. */
    public final Linear fc;
    /** c_proj: W_out [d_mlp, d_model]; null for a mixture. */
    public final Linear proj;
    /** The mixture of experts this MLP is, or null for a dense MLP. */
    public final MixtureOfExperts mixture;

    public Mlp(GptConfig.Mlp kind, Linear fc, Linear proj) {
        if (kind == GptConfig.Mlp.NONE) throw new IllegalArgumentException("an attention-only block has no MLP");
        this.kind = kind;
        this.fc = fc;
        this.proj = proj;
        this.mixture = null;
    }

    /** An MLP that is a mixture of experts. */
    public Mlp(MixtureOfExperts mixture) {
        this.kind = mixture.kind;
        this.fc = null;
        this.proj = null;
        this.mixture = mixture;
    }

    /** Whether this MLP is a mixture of experts (then {@link #fc} and {@link #proj} are null). */
    public boolean isMixture() {
        return mixture != null;
    }

    /** Width of c_fc's output: d_mlp, or 2·d_mlp for SwiGLU (gate and up side by side). */
    public static int hiddenWidth(GptConfig c) {
        return c.mlp() == GptConfig.Mlp.SWIGLU ? 2 * c.dMlp() : c.dMlp();
    }

    /** out [N, d] = MLP(x [N, d]); keeps pre [N, hidden] and post [N, d_mlp] for backward. */
    public void forward(Tensor x, Tensor pre, Tensor post, Tensor out) {
        if (mixture != null) {                                     // pre and post are not used
            mixture.forward(x, out);
            return;
        }
        fc.forward(x, pre);
        activate(pre, post);
        proj.forward(post, out);
    }

    /** As above with hook points {@code mlp.hook_pre} and {@code mlp.hook_post} [B, T, ·] of block {@code layer}. */
    void forward(Tensor x, Tensor pre, Tensor post, Tensor out, Hooks hooks, int layer, int batch, int seqLen) {
        if (mixture != null) {                                     // router and expert hook points instead
            mixture.forward(x, out, hooks, layer, batch, seqLen);
            return;
        }
        fc.forward(x, pre);
        hooks.fire(HookPoints.name(layer, "mlp.hook_pre"), Hooks.rows(pre, batch, seqLen));
        activate(pre, post);
        hooks.fire(HookPoints.name(layer, "mlp.hook_post"), Hooks.rows(post, batch, seqLen));
        proj.forward(post, out);
    }

    /** Accumulates dx [N, d] (+=) and parameter gradients from dout [N, d] (a mixture: of its last forward). */
    void backward(Tensor dout, Tensor x, Tensor pre, Tensor post, Tensor dPost, Tensor dPre, Tensor dx) {
        if (mixture != null) {                                     // the mixture kept its own pass
            mixture.backward(dout, x, dx);
            return;
        }
        dPost.fill(0f);
        proj.backward(dout, post, dPost);
        activateBackward(pre, dPost, dPre);
        fc.backward(dPre, x, dx);
    }

    /** post = φ(pre). */
    void activate(Tensor pre, Tensor post) {
        switch (kind) {
            case GELU -> Ops.geluInto(pre, post);
            case RELU -> Ops.reluInto(pre, post);
            case SWIGLU -> Ops.swigluInto(pre, post);
            case NONE -> throw new IllegalStateException();
        }
    }

    /** dpre (overwritten) from dpost and the saved pre-activations. */
    void activateBackward(Tensor pre, Tensor dPost, Tensor dPre) {
        switch (kind) {
            case GELU -> Ops.geluBackwardInto(pre, dPost, dPre);
            case RELU -> Ops.reluBackwardInto(pre, dPost, dPre);
            case SWIGLU -> Ops.swigluBackwardInto(pre, dPost, dPre);
            case NONE -> throw new IllegalStateException();
        }
    }
}
