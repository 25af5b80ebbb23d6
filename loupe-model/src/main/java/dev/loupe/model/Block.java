package dev.loupe.model;

import dev.loupe.tensor.Tensor;
import dev.loupe.tensor.ops.Ops;

/**
 * One transformer block: attention then (unless attention-only) an MLP, each reading the residual
 * stream and adding its output back.
 *
 * <pre>
 *   pre-LN (GPT-2):   mid = x + Attn(LN1(x))              out = mid + MLP(LN2(mid))
 *   post-LN (2017):   mid = LN1(x + Attn(x))              out = LN2(mid + MLP(mid))
 *   no LN:            mid = x + Attn(x)                   out = mid + MLP(mid)
 *   attention-only:   out = mid
 *   highway-gated (pre-LN, {@link HighwayGate}): each gated sublayer's "x + F" becomes
 *                     T⊙F + (1 − T)⊙x (highway) or x + T⊙F (gated_residual), T = σ(LN(x)·W_T + b_T)
 * </pre>
 * Backward runs the same steps in reverse; the residual adds pass their gradient through unchanged
 * to both summands, so one running buffer dResid carries d(loss)/d(stream) down the blocks (a
 * highway gate scales it by 1 − T on the carry path).
 */
public final class Block {
    public final GptConfig.Norm norm;
    /** Null when norm is NONE. */
    public final LayerNorm ln1;
    public final Attention attn;
    /** Null in an attention-only model and when norm is NONE. */
    public final LayerNorm ln2;
    /** Null in an attention-only model. */
    public final Mlp mlp;
    /** Highway gates of the attention and the MLP sublayer; null where the sublayer adds plainly (pre-LN only). */
    public final HighwayGate attnGate, mlpGate;

    public Block(GptConfig.Norm norm, LayerNorm ln1, Attention attn, LayerNorm ln2, Mlp mlp) {
        this(norm, ln1, attn, ln2, mlp, null, null);
    }

    /** A block whose sublayers may be highway-gated ({@code attnGate}, {@code mlpGate} null: plain residual). */
    public Block(GptConfig.Norm norm, LayerNorm ln1, Attention attn, LayerNorm ln2, Mlp mlp, HighwayGate attnGate, HighwayGate mlpGate) {
        if ((attnGate != null || mlpGate != null) && norm != GptConfig.Norm.PRE) {
            throw new IllegalArgumentException("highway gates need pre-LN");
        }
        this.norm = norm;
        this.ln1 = ln1;
        this.attn = attn;
        this.ln2 = ln2;
        this.mlp = mlp;
        this.attnGate = attnGate;
        this.mlpGate = mlpGate;
    }

    /** out [B·T, d] = block(x [B·T, d]), keeping every intermediate in {@code s}. */
    public void forward(Tensor x, State s, int batch, int seqLen, KvCache cache, int layer, Tensor out) {
        forward(x, s, batch, seqLen, cache, layer, out, null);
    }

    /**
     * As above; {@code hooks} (null when none are attached) are fired at this block's hook points
     * ({@code blocks.{layer}.*}, see {@link HookPoints}) as the pass reaches them. The residual hook
     * points {@code hook_resid_pre}/{@code hook_resid_post} are fired by {@link Gpt}.
     */
    public void forward(Tensor x, State s, int batch, int seqLen, KvCache cache, int layer, Tensor out, Hooks hooks) {
        if (norm != GptConfig.Norm.POST) {
            Tensor attnIn = ln1 == null ? x : s.attnIn;                            // no LN: Attn reads x
            if (ln1 != null) {
                ln1.forward(x, s.attnIn, s.ln1Mean, s.ln1Rstd);                     // LN1(x)
                if (hooks != null) hooks.layerNorm(HookPoints.name(layer, "ln1"), ln1, x, s.attnIn, s.ln1Mean, s.ln1Rstd, batch, seqLen);
            }
            attn.forward(attnIn, s, batch, seqLen, cache, layer, s.attnOut, hooks);   // Attn(·)
            if (hooks != null) hooks.fire(HookPoints.name(layer, "hook_attn_out"), Hooks.rows(s.attnOut, batch, seqLen));
            residual(x, s.attnOut, attnGate, attnIn, s.attnGate, s.residMid, layer, "hook_attn_gate", hooks, batch, seqLen); // mid = x + Attn
            if (hooks != null) hooks.fire(HookPoints.name(layer, "hook_resid_mid"), Hooks.rows(s.residMid, batch, seqLen));
            if (mlp == null) {
                s.residMid.copyInto(out);
                return;
            }
            Tensor mlpIn = ln2 == null ? s.residMid : s.mlpIn;                     // no LN: MLP reads mid
            if (ln2 != null) {
                ln2.forward(s.residMid, s.mlpIn, s.ln2Mean, s.ln2Rstd);            // LN2(mid)
                if (hooks != null) hooks.layerNorm(HookPoints.name(layer, "ln2"), ln2, s.residMid, s.mlpIn, s.ln2Mean, s.ln2Rstd, batch, seqLen);
            }
            mlp(mlpIn, s, batch, seqLen, layer, hooks);                            // MLP(·)
            residual(s.residMid, s.mlpOut, mlpGate, mlpIn, s.mlpGate, out, layer, "hook_mlp_gate", hooks, batch, seqLen); // out = mid + MLP
        } else {
            attn.forward(x, s, batch, seqLen, cache, layer, s.attnOut, hooks);      // Attn(x)
            if (hooks != null) hooks.fire(HookPoints.name(layer, "hook_attn_out"), Hooks.rows(s.attnOut, batch, seqLen));
            Ops.add(x, s.attnOut, s.attnSum);                              // x + Attn
            ln1.forward(s.attnSum, s.residMid, s.ln1Mean, s.ln1Rstd);              // mid = LN1(·)
            if (hooks != null) {
                hooks.layerNorm(HookPoints.name(layer, "ln1"), ln1, s.attnSum, s.residMid, s.ln1Mean, s.ln1Rstd, batch, seqLen);
                hooks.fire(HookPoints.name(layer, "hook_resid_mid"), Hooks.rows(s.residMid, batch, seqLen));
            }
            if (mlp == null) {
                s.residMid.copyInto(out);
                return;
            }
            mlp(s.residMid, s, batch, seqLen, layer, hooks);                       // MLP(mid)
            Ops.add(s.residMid, s.mlpOut, s.mlpSum);                       // mid + MLP
            ln2.forward(s.mlpSum, out, s.ln2Mean, s.ln2Rstd);                      // out = LN2(·)
            if (hooks != null) hooks.layerNorm(HookPoints.name(layer, "ln2"), ln2, s.mlpSum, out, s.ln2Mean, s.ln2Rstd, batch, seqLen);
        }
    }

    /**
     * y = x + f, or with a highway gate T = σ(u·W_T + b_T) (hook point {@code blocks.{layer}.{hook}},
     * [B, T, w], fired before T is used, so a hook may set it) the gated combination.
     */
    private static void residual(Tensor x, Tensor f, HighwayGate gate, Tensor u, Tensor t, Tensor y, int layer, String hook,
                                 Hooks hooks, int batch, int seqLen) {
        if (gate == null) {
            Ops.add(x, f, y);
            return;
        }
        gate.gate(u, t);                                                            // T [N, w]
        if (hooks != null) hooks.fire(HookPoints.name(layer, hook), Hooks.rows(t, batch, seqLen));
        gate.combine(x, f, t, y);
    }

    private void mlp(Tensor in, State s, int batch, int seqLen, int layer, Hooks hooks) {
        if (hooks == null) {
            mlp.forward(in, s.mlpPre, s.mlpPost, s.mlpOut);
            return;
        }
        mlp.forward(in, s.mlpPre, s.mlpPost, s.mlpOut, hooks, layer, batch, seqLen);
        hooks.fire(HookPoints.name(layer, "hook_mlp_out"), Hooks.rows(s.mlpOut, batch, seqLen));
    }

    /**
     * Backward through the block. On entry {@code g.dResid} holds d(loss)/d(out); on exit
     * d(loss)/d(x). Parameter gradients are accumulated.
     */
    void backward(Tensor x, State s, int batch, int seqLen, Activations.Scratch g) {
        Tensor dResid = g.dResid, dTmp = g.dTmp;
        if (norm == GptConfig.Norm.PRE) {
            if (mlp != null) {
                dTmp.fill(0f);
                Tensor dMlpOut = mlpGate == null ? dResid                                        // gated: dF = T⊙dy, du → dTmp
                        : mlpGate.backward(dResid, s.residMid, s.mlpOut, s.mlpGate, s.mlpIn, g.dGated, g.dGatePre, dTmp);
                mlp.backward(dMlpOut, s.mlpIn, s.mlpPre, s.mlpPost, g.dMlpPost, g.dMlpPre, dTmp); // d LN2(mid)
                ln2.backward(dTmp, s.residMid, s.ln2Mean, s.ln2Rstd, dResid);                   // dResid = d mid
            }
            dTmp.fill(0f);
            Tensor dAttnOut = attnGate == null ? dResid
                    : attnGate.backward(dResid, x, s.attnOut, s.attnGate, s.attnIn, g.dGated, g.dGatePre, dTmp);
            attn.backward(dAttnOut, s.attnIn, s, batch, seqLen, g, dTmp);                      // d LN1(x)
            ln1.backward(dTmp, x, s.ln1Mean, s.ln1Rstd, dResid);                               // dResid = dx
        } else if (norm == GptConfig.Norm.NONE) {
            if (mlp != null) {
                dTmp.fill(0f);
                mlp.backward(dResid, s.residMid, s.mlpPre, s.mlpPost, g.dMlpPost, g.dMlpPre, dTmp); // d MLP input
                Ops.add(dResid, dTmp, dResid);                                                     // dResid = d mid
            }
            dTmp.fill(0f);
            attn.backward(dResid, x, s, batch, seqLen, g, dTmp);                                   // d Attn input
            Ops.add(dResid, dTmp, dResid);                                                         // dResid = dx
        } else {
            if (mlp != null) {
                dTmp.fill(0f);
                ln2.backward(dResid, s.mlpSum, s.ln2Mean, s.ln2Rstd, dTmp);                   // d(mid + MLP)
                dTmp.copyInto(dResid);
                mlp.backward(dTmp, s.residMid, s.mlpPre, s.mlpPost, g.dMlpPost, g.dMlpPre, dResid); // dResid = d mid
            }
            dTmp.fill(0f);
            ln1.backward(dResid, s.attnSum, s.ln1Mean, s.ln1Rstd, dTmp);                      // d(x + Attn)
            dTmp.copyInto(dResid);
            attn.backward(dTmp, x, s, batch, seqLen, g, dResid);                              // dResid = dx
        }
    }

    /**
     * The activations of one block for one forward pass (TransformerLens hook names in brackets).
     * Rows are positions b·T + t. Fields that a variant does not use are null.
     */
    public static final class State {
        /** Pre-LN: LN1(x), the attention's input [N, d] ({@code ln1.hook_normalized}). Post-LN, no LN: null (attention reads x). */
        public final Tensor attnIn;
        /** LN1's mean and 1/σ per row [N] ({@code ln1.hook_scale} is 1/rstd); null without LayerNorm. */
        public final Tensor ln1Mean, ln1Rstd;
        /** q | k | v side by side [N, 3·d] ({@code attn.hook_q/k/v} are its column blocks). */
        public final Tensor qkv;
        /**
         * Softmax attention pattern [B, n_head, T, keys] ({@code attn.hook_pattern}), masked entries 0.
         * In inference buffers ({@link Activations#forInference}) all blocks share one state, so after
         * the pass it holds the last block's pattern (and its other activations). Linear and least-squares attention
         * compute no pattern in the fused pass (their kernels never form it); it is filled only when
         * hooks are attached (read {@code hook_pattern} through {@link Gpt#runWithCache}).
         */
        public final Tensor pattern;
        /** Head outputs P·V side by side [N, d] ({@code attn.hook_z}). */
        public final Tensor z;
        /** Attention output after W_O and its bias [N, d] ({@code hook_attn_out}). */
        public final Tensor attnOut;
        /** Post-LN only: x + attnOut [N, d], LN1's input. */
        public final Tensor attnSum;
        /** The stream between attention and MLP [N, d] ({@code hook_resid_mid}). */
        public final Tensor residMid;
        /** Pre-LN with MLP: LN2(mid) [N, d] ({@code ln2.hook_normalized}); post-LN, no LN: null (MLP reads mid). */
        public final Tensor mlpIn;
        public final Tensor ln2Mean, ln2Rstd;
        /** MLP pre-activation [N, d_mlp] (SwiGLU: [N, 2·d_mlp]) ({@code mlp.hook_pre}). */
        public final Tensor mlpPre;
        /** MLP activation [N, d_mlp] ({@code mlp.hook_post}). */
        public final Tensor mlpPost;
        /** MLP output [N, d] ({@code hook_mlp_out}). */
        public final Tensor mlpOut;
        /** Post-LN only: mid + mlpOut [N, d], LN2's input. */
        public final Tensor mlpSum;
        /** Highway gates T [N, w] of the attention and MLP sublayers ({@code hook_attn_gate}, {@code hook_mlp_gate}); null where not gated. */
        public final Tensor attnGate, mlpGate;

        State(GptConfig c, int batch, int seqLen, int keyCapacity) {
            this(c, batch, seqLen, Tensor.zeros(batch, c.nHead(), seqLen, keyCapacity));
        }

        /** With a given pattern buffer [B, n_head, T, keyCapacity]. */
        State(GptConfig c, int batch, int seqLen, Tensor pattern) {
            int n = batch * seqLen, d = c.dModel();
            boolean pre = c.norm() == GptConfig.Norm.PRE, hasMlp = c.mlp() != GptConfig.Mlp.NONE;
            boolean ln = c.hasLayerNorm(), post = c.norm() == GptConfig.Norm.POST;
            attnIn = pre ? Tensor.zeros(n, d) : null;
            ln1Mean = ln ? Tensor.zeros(n) : null;
            ln1Rstd = ln ? Tensor.zeros(n) : null;
            qkv = Tensor.zeros(n, 3 * d);
            this.pattern = pattern;
            z = Tensor.zeros(n, d);
            attnOut = Tensor.zeros(n, d);
            attnSum = post ? Tensor.zeros(n, d) : null;
            residMid = Tensor.zeros(n, d);
            mlpIn = pre && hasMlp ? Tensor.zeros(n, d) : null;
            ln2Mean = ln && hasMlp ? Tensor.zeros(n) : null;
            ln2Rstd = ln && hasMlp ? Tensor.zeros(n) : null;
            mlpPre = hasMlp ? Tensor.zeros(n, Mlp.hiddenWidth(c)) : null;
            mlpPost = hasMlp ? Tensor.zeros(n, c.dMlp()) : null;
            mlpOut = hasMlp ? Tensor.zeros(n, d) : null;
            mlpSum = post && hasMlp ? Tensor.zeros(n, d) : null;
            HighwaySettings hw = c.highway();
            attnGate = hw != null && hw.gates(HighwaySettings.Sublayer.ATTN) ? Tensor.zeros(n, hw.gateWidth(d)) : null;
            mlpGate = hw != null && hasMlp && hw.gates(HighwaySettings.Sublayer.MLP) ? Tensor.zeros(n, hw.gateWidth(d)) : null;
        }
    }
}
