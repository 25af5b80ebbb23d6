package dev.loupe.model;

import java.util.ArrayList;
import java.util.List;

/**
 * The hook-name table of a configuration: every activation a forward pass exposes, in the order
 * the pass reaches them, with TransformerLens names (SPEC §2) and shapes (batch outer).
 *
 * <p>Variants: an attention-only model has no {@code ln2.*}, {@code mlp.*} or {@code hook_mlp_out};
 * in a post-LN model {@code ln1} normalises {@code x + attn_out} (so {@code ln1.hook_normalized} is
 * the same tensor as {@code hook_resid_mid}) and {@code ln2} normalises {@code mid + mlp_out} (the
 * same tensor as {@code hook_resid_post}). Without LayerNorm (norm NONE) there are no {@code ln1.*},
 * {@code ln2.*} or {@code ln_final.*} hook points: W_U reads the last {@code hook_resid_post}.
 * {@code hook_pos_embed} is zero without positions.
 */
public final class HookPoints {
    private HookPoints() {}

    /** {@code blocks.{layer}.{rest}}, e.g. {@code name(3, "attn.hook_z")}. */
    public static String name(int layer, String rest) {
        return "blocks." + layer + "." + rest;
    }

    /** The table for {@code batch} sequences of {@code seqLen} tokens (no KV cache: keys = T). */
    public static List<HookPoint> table(GptConfig c, int batch, int seqLen) {
        int b = batch, t = seqLen, d = c.dModel(), h = c.nHead(), dh = c.dModel() / c.nHead();
        boolean mlp = c.mlp() != GptConfig.Mlp.NONE, pre = c.norm() == GptConfig.Norm.PRE, post = c.norm() == GptConfig.Norm.POST;
        List<HookPoint> out = new ArrayList<>();
        out.add(new HookPoint("hook_embed", new int[] {b, t, d}, "token embedding W_E[token]"));
        out.add(new HookPoint("hook_pos_embed", new int[] {b, t, d}, "position embedding P[pos] (zero without positions)"));
        for (int l = 0; l < c.nLayer(); l++) {
            out.add(p(l, "hook_resid_pre", new int[] {b, t, d}, "residual stream entering the block"));
            if (pre) addLn1(out, l, b, t, d, true);
            out.add(p(l, "attn.hook_q", new int[] {b, t, h, dh}, "queries per head"));
            out.add(p(l, "attn.hook_k", new int[] {b, t, h, dh}, "keys per head"));
            out.add(p(l, "attn.hook_v", new int[] {b, t, h, dh}, "values per head"));
            out.add(p(l, "attn.hook_attn_scores", new int[] {b, h, t, t}, c.attention().isSoftmax() ? "Q·Kᵀ/√d_head [head, query, key], masked = −∞" : "unnormalised mixing weights [head, query, key], masked = 0"));
            out.add(p(l, "attn.hook_pattern", new int[] {b, h, t, t}, c.attention().isSoftmax() ? "softmax attention pattern [head, query, key]" : c.attention().kindName() + " attention: effective mixing weights A (z = A·V) [head, query, key]"));
            out.add(p(l, "attn.hook_z", new int[] {b, t, h, dh}, "pattern-weighted values per head"));
            out.add(p(l, "attn.hook_result", new int[] {b, t, h, d}, "each head's output z_h·W_O^h (computed only when hooked)"));
            out.add(p(l, "hook_attn_out", new int[] {b, t, d}, "attention output Σ_h result + b_O"));
            if (post) addLn1(out, l, b, t, d, false);
            out.add(p(l, "hook_resid_mid", new int[] {b, t, d}, "residual stream between attention and MLP"));
            if (mlp) {
                if (pre) addLn2(out, l, b, t, d, true);
                if (c.isMoeLayer(l)) addMixture(out, c, l, b, t);
                else {
                    out.add(p(l, "mlp.hook_pre", new int[] {b, t, Mlp.hiddenWidth(c)},
                            c.mlp() == GptConfig.Mlp.SWIGLU ? "MLP pre-activation, gate | up" : "MLP pre-activation (neurons)"));
                    out.add(p(l, "mlp.hook_post", new int[] {b, t, c.dMlp()}, "MLP activation (neurons)"));
                }
                out.add(p(l, "hook_mlp_out", new int[] {b, t, d}, c.isMoeLayer(l)
                        ? "mixture output Σ_e R[:, e]·Expert_e(u)" : "MLP output post·W_out + b_out"));
                if (post) addLn2(out, l, b, t, d, false);
            }
            out.add(p(l, "hook_resid_post", new int[] {b, t, d}, "residual stream leaving the block"));
        }
        if (c.hasLayerNorm()) {
            out.add(new HookPoint("ln_final.hook_scale", new int[] {b, t, 1}, "final LN scale √(var + ε)"));
            out.add(new HookPoint("ln_final.hook_normalized", new int[] {b, t, d}, "final LN output, read by W_U"));
        }
        return out;
    }

    /**
     * A mixture-of-experts layer's hook points (SPEC §"Variants"): the router's logits, the chosen
     * experts' indices and weights (in this order: a weights hook sees the indices' edits), then each expert's pre-activation and activation on the
     * positions routed to it — {@link #ROUTED} rows, in position order
     * ({@link MixtureOfExperts#routedTokens}), without a batch dimension.
     */
    private static void addMixture(List<HookPoint> out, GptConfig c, int l, int b, int t) {
        MoeSettings m = c.moe();
        int e = m.experts(), k = m.topK(), de = m.dExpert(), up = c.mlp() == GptConfig.Mlp.SWIGLU ? 2 * de : de;
        out.add(p(l, "mlp.hook_router_logits", new int[] {b, t, e}, "router logits g = u·W_gate per expert"));
        out.add(p(l, "mlp.hook_expert_indices", new int[] {b, t, k}, "the chosen experts (as floats; edit to force one)"));
        out.add(p(l, "mlp.hook_expert_weights", new int[] {b, t, k}, "renormalised weights of the chosen experts"));
        for (int x = 0; x < e; x++) {
            out.add(p(l, "mlp.experts." + x + ".hook_pre", new int[] {ROUTED, up},
                    "expert " + x + " pre-activation on its routed positions" + (up == de ? "" : ", gate | up")));
            out.add(p(l, "mlp.experts." + x + ".hook_post", new int[] {ROUTED, de}, "expert " + x + " activation on its routed positions"));
        }
    }

    /** The size of a dimension that varies from pass to pass: the positions routed to an expert (shown as n_e). */
    public static final int ROUTED = -1;

    private static void addLn1(List<HookPoint> out, int l, int b, int t, int d, boolean pre) {
        out.add(p(l, "ln1.hook_scale", new int[] {b, t, 1}, "LN1 scale √(var + ε) per position"));
        out.add(p(l, "ln1.hook_normalized", new int[] {b, t, d},
                pre ? "LN1 output (x − μ)/scale·γ + β: the attention's input" : "LN1 output: LN1(x + attn_out) = resid_mid"));
    }

    private static void addLn2(List<HookPoint> out, int l, int b, int t, int d, boolean pre) {
        out.add(p(l, "ln2.hook_scale", new int[] {b, t, 1}, "LN2 scale √(var + ε) per position"));
        out.add(p(l, "ln2.hook_normalized", new int[] {b, t, d},
                pre ? "LN2 output: the MLP's input" : "LN2 output: LN2(mid + mlp_out) = resid_post"));
    }

    private static HookPoint p(int l, String rest, int[] shape, String meaning) {
        return new HookPoint(name(l, rest), shape, meaning);
    }
}
