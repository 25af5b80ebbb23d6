package dev.loupe.analysis.moe;

import dev.loupe.LoupeException;
import dev.loupe.model.ActivationCache;
import dev.loupe.tensor.Tensor;

/**
 * What one mixture-of-experts layer's router did to T tokens, as its hooks show it
 * (SPEC §"Variants"): the router logits g [T, E] ({@code blocks.{l}.mlp.hook_router_logits}), and per
 * token the k kept experts ({@code hook_expert_indices} [T, k]) with their renormalised weights
 * ({@code hook_expert_weights} [T, k], each row summing to 1).
 *
 * <p>The routing matrix R [T, E] has R[t, e] = the kept weight of expert e for token t and 0 for the
 * experts not kept: the mixture's output is Σ_e diag(R[:, e])·Expert_e(X), and RᵀR [E, E] reads its
 * load (diagonal) and co-routing (off-diagonal).
 *
 * @param layer   the block index
 * @param experts E
 * @param logits  router logits, row-major [T, E]
 * @param indices kept experts, row-major [T, k]
 * @param weights kept weights, row-major [T, k]
 */
public record LayerRouting(int layer, int experts, float[] logits, int[] indices, float[] weights) {
    public LayerRouting {
        if (experts < 1) throw new IllegalArgumentException("experts must be positive, got " + experts);
        if (logits.length % experts != 0) throw new IllegalArgumentException(logits.length + " logits are not rows of " + experts);
        int t = logits.length / experts;
        if (indices.length != weights.length || t == 0 && indices.length != 0 || t > 0 && indices.length % t != 0) {
            throw new IllegalArgumentException("indices (" + indices.length + ") and weights (" + weights.length
                    + ") must both hold k entries for each of the " + t + " tokens");
        }
        for (int e : indices) if (e < 0 || e >= experts) throw new IllegalArgumentException("expert index " + e + " is not in [0, " + experts + ")");
    }

    /** The hook names of layer {@code l}'s router: logits, kept weights, kept indices. */
    public static String[] hookNames(int l) {
        String p = "blocks." + l + ".mlp.";
        return new String[] {p + "hook_router_logits", p + "hook_expert_weights", p + "hook_expert_indices"};
    }

    /**
     * Layer {@code l}'s routing from a cache holding its three router hooks, for one sequence (a batch
     * dimension of 1 in front is allowed): logits [T, E], weights and indices [T, k].
     */
    public static LayerRouting fromCache(ActivationCache cache, int l) {
        String[] names = hookNames(l);
        Tensor g = cache.get(names[0]), w = cache.get(names[1]), i = cache.get(names[2]);
        int e = g.dim(-1);
        float[] idx = i.toArray();
        int[] indices = new int[idx.length];
        for (int n = 0; n < idx.length; n++) {
            indices[n] = Math.round(idx[n]);
            if (indices[n] != idx[n]) throw new LoupeException(names[2] + " holds " + idx[n] + ", not an expert index");
        }
        return new LayerRouting(l, e, g.toArray(), indices, w.toArray());
    }

    /** T, the number of tokens. */
    public int tokens() {
        return logits.length / experts;
    }

    /** k, the experts kept per token. */
    public int topK() {
        return tokens() == 0 ? 0 : indices.length / tokens();
    }

    /** The j-th kept expert of token t. */
    public int expert(int t, int j) {
        return indices[t * topK() + j];
    }

    /** The kept weight of the j-th kept expert of token t. */
    public float weight(int t, int j) {
        return weights[t * topK() + j];
    }

    /** The routing matrix R [T][E]: kept weights, 0 for experts not kept. */
    public double[][] matrix() {
        int k = topK();
        double[][] r = new double[tokens()][experts];
        for (int t = 0; t < r.length; t++) for (int j = 0; j < k; j++) r[t][indices[t * k + j]] += weights[t * k + j];
        return r;
    }

    /** p = softmax(g) of token t [E], in double (max-shifted). */
    public double[] probabilities(int t) {
        double max = Double.NEGATIVE_INFINITY;
        for (int e = 0; e < experts; e++) max = Math.max(max, logits[t * experts + e]);
        double[] p = new double[experts];
        double sum = 0;
        for (int e = 0; e < experts; e++) sum += p[e] = Math.exp(logits[t * experts + e] - max);
        for (int e = 0; e < experts; e++) p[e] /= sum;
        return p;
    }
}
