package dev.loupe.model;

import dev.loupe.LoupeException;

import java.util.List;
import java.util.Locale;

/**
 * A mixture-of-experts MLP (SPEC §"Variants", config key {@code "loupe": {"moe": {…}}}): each MoE
 * layer replaces the single MLP by E experts of the model's MLP kind and a router.
 *
 * <pre>
 *   u = LN(x),  g = u·W_gate  [T, E],  p = softmax(g),  K = the top-k experts by p
 *   w_e = p_e / Σ_{j∈K} p_j                         (softmax_topk; topk_softmax = softmax over the kept g: the same w)
 *   out = Σ_{e∈K} w_e · Expert_e(u),  Expert_e(u) = act(u·W_fc,e + b_fc,e)·W_proj,e + b_proj,e
 *   aux loss = aux_loss_coef · E · Σ_e f_e·P_e      (Switch Transformer; f_e = share of (token, choice) slots routed
 *                                                    to e, divided by k; P_e = mean over tokens of p_e)
 *   z-loss   = z_loss_coef · mean over tokens of logsumexp(g)²
 * </pre>
 *
 * @param experts        E, the number of experts per MoE layer
 * @param topK           k, the experts each token is sent to (1 ≤ k ≤ E)
 * @param dExpert        hidden width of each expert's MLP
 * @param router         how the kept weights are computed (both give the same weights; see {@link Router})
 * @param auxLossCoef    α of the load-balancing loss (0 = off)
 * @param zLossCoef      β of the router z-loss (0 = off)
 * @param capacityFactor tokens an expert accepts per batch = ⌈capacity_factor · T·k / E⌉, the rest dropped;
 *                       {@code null}: no capacity limit (no token dropped)
 * @param layers         the layers whose MLP is a mixture; {@code null}: every layer
 */
public record MoeSettings(int experts, int topK, int dExpert, Router router, float auxLossCoef, float zLossCoef,
                          Float capacityFactor, List<Integer> layers) {

    /** The router's normalisation of the kept weights (config spelling: softmax_topk, topk_softmax). */
    public enum Router {
        /** softmax over all experts, keep the top k, renormalise the kept weights (Mixtral). */
        SOFTMAX_TOPK,
        /** keep the top-k logits, softmax over those only (the same weights: a shift-invariance identity). */
        TOPK_SOFTMAX;

        public String configName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public MoeSettings {
        if (router == null) router = Router.SOFTMAX_TOPK;
        require(experts >= 1, "moe.experts must be at least 1, got " + experts);
        require(topK >= 1 && topK <= experts, "moe.top_k must be between 1 and experts (" + experts + "), got " + topK);
        require(dExpert >= 1, "moe.d_expert must be positive, got " + dExpert);
        require(auxLossCoef >= 0 && Float.isFinite(auxLossCoef), "moe.aux_loss_coef must be a number ≥ 0, got " + auxLossCoef);
        require(zLossCoef >= 0 && Float.isFinite(zLossCoef), "moe.z_loss_coef must be a number ≥ 0, got " + zLossCoef);
        require(capacityFactor == null || (capacityFactor > 0 && Float.isFinite(capacityFactor)),
                "moe.capacity_factor must be a positive number or null, got " + capacityFactor);
        if (layers != null) {
            require(!layers.isEmpty(), "moe.layers must name at least one layer (or be null for every layer)");
            layers = List.copyOf(layers);
            require(layers.stream().distinct().count() == layers.size(), "moe.layers names a layer twice: " + layers);
        }
    }

    /** E experts, top-k, width d_e, with the default router and loss coefficients (0.01, 0.001), every layer. */
    public static MoeSettings of(int experts, int topK, int dExpert) {
        return new MoeSettings(experts, topK, dExpert, Router.SOFTMAX_TOPK, 0.01f, 0.001f, null, null);
    }

    /** Whether layer {@code l}'s MLP is a mixture of experts. */
    public boolean appliesTo(int layer) {
        return layers == null || layers.contains(layer);
    }

    /** Checks the layer indices against the model's depth. */
    void checkLayers(int nLayer) {
        if (layers == null) return;
        for (int l : layers) {
            require(l >= 0 && l < nLayer, "moe.layers names layer " + l + ", but the model has layers 0.." + (nLayer - 1));
        }
    }

    private static void require(boolean ok, String message) {
        if (!ok) throw new LoupeException("invalid model configuration: " + message);
    }
}
