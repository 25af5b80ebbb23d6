package dev.loupe.analysis.transforms;

import dev.loupe.model.Gpt;
import dev.loupe.tensor.Tensor;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * LayerNorm folding (TransformerLens's {@code fold_ln}) for pre-LN models: a block's LayerNorm is
 * LN(x) = n(x) ⊙ γ + β with n(x) = (x − mean)/√(var + ε), and the layer that reads it is affine,
 * LN(x)·W + b = n(x)·(diag(γ)·W) + (β·W + b). So
 * <pre>
 *   ln_1 → c_attn:   W_attn' = diag(γ₁) W_attn,   b_attn' = b_attn + β₁ W_attn,   γ₁ ← 1, β₁ ← 0
 *   ln_2 → c_fc:     W_fc'   = diag(γ₂) W_fc,     b_fc'   = b_fc + β₂ W_fc,       γ₂ ← 1, β₂ ← 0
 * </pre>
 * after which every circuit read from W_Q, W_K, W_V or W_in includes the LayerNorm's gain and shift.
 * The log-probabilities are unchanged (the same affine maps, regrouped).
 *
 * <p>ln_f is left in place: this model family has no unembedding bias to receive β_f·W_U, and with
 * tied embeddings W_U is W_E, which the embedding also uses.
 *
 * <p>Inverse: W = diag(1/γ) W', b = b' − β·W with the original γ, β restored (it fails with a
 * clear message where some γ_j was 0: that row of information was lost).
 */
public final class LayerNormFolding {
    private LayerNormFolding() {}

    /** The folded model and its inverse. Rejects post-LN models. */
    public static Reversible fold(Gpt gpt) {
        WeightMaps.requirePreLn(gpt, "LayerNorm folding");
        if (gpt.config().moe() != null && gpt.config().mlp() != dev.loupe.model.GptConfig.Mlp.NONE) {
            throw new dev.loupe.LoupeException("LayerNorm folding: ln_2 feeds a mixture-of-experts router, which has no bias to take "
                    + "β·W_gate (a per-expert shift of the router logits changes the routing); not folded");
        }
        Map<String, Tensor> w = WeightMaps.copy(gpt);
        Map<String, Tensor> saved = new LinkedHashMap<>();
        for (int l = 0; l < gpt.config().nLayer(); l++) {
            foldOne(w, saved, "h." + l + ".ln_1", "h." + l + ".attn.c_attn");
            if (w.containsKey("h." + l + ".ln_2.weight")) foldOne(w, saved, "h." + l + ".ln_2", "h." + l + ".mlp.c_fc");
        }
        Gpt folded = Gpt.fromWeights(gpt.config(), w);
        return new Reversible(folded, m -> unfold(m, saved));
    }

    private static void foldOne(Map<String, Tensor> w, Map<String, Tensor> saved, String ln, String linear) {
        Tensor gamma = w.get(ln + ".weight"), beta = w.get(ln + ".bias");
        saved.put(ln + ".weight", gamma.copy());
        saved.put(ln + ".bias", beta.copy());
        Tensor weight = w.get(linear + ".weight"), bias = w.get(linear + ".bias");
        WeightMaps.addRowVectorProduct(bias, beta, weight, +1);   // uses the unscaled W
        WeightMaps.scaleRows(weight, gamma, false);
        gamma.fill(1f);
        beta.fill(0f);
    }

    private static Gpt unfold(Gpt folded, Map<String, Tensor> saved) {
        Map<String, Tensor> w = WeightMaps.copy(folded);
        for (int l = 0; l < folded.config().nLayer(); l++) {
            unfoldOne(w, saved, "h." + l + ".ln_1", "h." + l + ".attn.c_attn");
            if (w.containsKey("h." + l + ".ln_2.weight")) unfoldOne(w, saved, "h." + l + ".ln_2", "h." + l + ".mlp.c_fc");
        }
        return Gpt.fromWeights(folded.config(), w);
    }

    private static void unfoldOne(Map<String, Tensor> w, Map<String, Tensor> saved, String ln, String linear) {
        Tensor gamma = saved.get(ln + ".weight"), beta = saved.get(ln + ".bias");
        Tensor weight = w.get(linear + ".weight"), bias = w.get(linear + ".bias");
        WeightMaps.scaleRows(weight, gamma, true);
        WeightMaps.addRowVectorProduct(bias, beta, weight, -1);
        gamma.copyInto(w.get(ln + ".weight"));
        beta.copyInto(w.get(ln + ".bias"));
    }
}
