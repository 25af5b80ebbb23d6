package dev.loupe.analysis.napkin;

/**
 * FLOPs per token (one multiply-add = 2 FLOPs), following Kaplan et al. (2020), "Scaling Laws for
 * Neural Language Models", Table 1:
 *
 * <pre>
 * forward   ≈ 2·N_matmul + 4·L·n·d        N_matmul: weights a token multiplies with (active experts,
 *                                          and the unembedding V·d, which the logits need even when tied)
 *                                          4·L·n·d: QKᵀ (2·n·d) and A·V (2·n·d) per layer against n keys
 * training  ≈ 3 × forward                 backward costs twice the forward (≈ 6N + 12·L·n·d)
 * </pre>
 * The attention term is given at a chosen context n (the full context for training's upper bound;
 * a causal forward over n tokens averages n/2 keys per token).
 */
public record Flops(double forwardPerToken, double trainingPerToken, double matmulParams, double attentionPerToken) {

    /** FLOPs per token when each token attends to {@code keys} earlier positions. */
    public static Flops at(ParameterCount p, long keys) {
        Architecture a = p.arch();
        double matmul = p.activePerToken() - p.embedding() - p.positions() - p.unembedding()
                - a.layers() * (double) p.layerNormPerLayer() - p.finalLayerNorm()
                + (double) a.vocab() * a.dModel();
        double attention = 4.0 * a.layers() * keys * a.dModel();
        double forward = 2 * matmul + attention;
        return new Flops(forward, 3 * forward, matmul, attention);
    }
}
