package dev.loupe.analysis.napkin;

/**
 * FLOPs per token (one multiply-add = 2 FLOPs):
 *
 * <pre>
 * forward   ≈ 2·N_matmul + attention      N_matmul: weights a token multiplies with (active experts,
 *                                          and the unembedding V·d, which the logits need even when tied)
 * training  ≈ 3 × forward                 backward costs twice the forward (≈ 6N + 3 × attention)
 * </pre>
 *
 * The attention term counts QKᵀ (2·k·d) and A·V (2·k·d) per layer for a token that attends to k
 * keys, 4·L·k·d ({@link #at}). Two readings of it at context n_ctx:
 * <ul>
 *   <li>{@link #kaplan}: Kaplan et al. (2020), "Scaling Laws for Neural Language Models", Table 1,
 *       C_forward ≈ 2N + 2·n_layer·n_ctx·d_attn: the attention term is 2·L·n_ctx·d, what a causal
 *       model costs on average (token t attends to t keys, n_ctx/2 on average);</li>
 *   <li>{@link #fullContext}: every token against all n_ctx keys, 4·L·n_ctx·d, an upper bound (and
 *       what a non-causal implementation that computes the masked half spends).</li>
 * </ul>
 * GPT-3 175B (n_ctx 2048): 354.0 GFLOP forward per token by Kaplan's count, 358.8 by the full-context bound.
 */
public record Flops(double forwardPerToken, double trainingPerToken, double matmulParams, double attentionPerToken) {

    /** FLOPs per token when each token attends to {@code keys} earlier positions: attention 4·L·keys·d. */
    public static Flops at(ParameterCount p, long keys) {
        return withAttention(p, 4.0 * p.arch().layers() * keys * p.arch().dModel());
    }

    /** Kaplan et al. (2020)'s count at the full context: attention 2·L·n_ctx·d (the causal average). */
    public static Flops kaplan(ParameterCount p) {
        return withAttention(p, 2.0 * p.arch().layers() * p.arch().context() * p.arch().dModel());
    }

    /** The full-context upper bound: every token against all n_ctx keys, attention 4·L·n_ctx·d. */
    public static Flops fullContext(ParameterCount p) {
        return at(p, p.arch().context());
    }

    private static Flops withAttention(ParameterCount p, double attention) {
        Architecture a = p.arch();
        double matmul = p.activePerToken() - p.embedding() - p.positions() - p.unembedding()
                - a.layers() * (double) p.layerNormPerLayer() - p.finalLayerNorm()
                + (double) a.vocab() * a.dModel();
        double forward = 2 * matmul + attention;
        return new Flops(forward, 3 * forward, matmul, attention);
    }
}
