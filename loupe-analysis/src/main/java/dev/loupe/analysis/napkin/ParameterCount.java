package dev.loupe.analysis.napkin;

/**
 * Exact parameter count of a GPT-2-style decoder, term by term, as the weights are stored:
 * every linear map has a bias (GPT-2's Conv1D), each LayerNorm has a gain and a bias, the
 * unembedding has no bias and is absent when tied.
 *
 * <pre>
 * embedding     V·d
 * positions     n_ctx·d                      (learned positions only)
 * attention     4·d² + 4·d                   per layer (W_Q, W_K, W_V, W_O and their biases)
 * MLP           2·d·d_ff + d_ff + d          per layer and expert (GELU/ReLU)
 *               3·d·d_ff + 2·d_ff + d        per layer and expert (SwiGLU: gate, up, down)
 * router        d·E                          per layer (mixture of experts only)
 * highway gate  d·w + w                      per gated sublayer (W_T, b_T; w = d vector, 1 scalar)
 * LayerNorm     2·d per norm, 2 per layer (1 when attention-only), plus the final one
 * unembedding   V·d                          (untied only)
 * </pre>
 * With V = 50257, n_ctx = 1024, d = 768, L = 12 this gives GPT-2 small's 124,439,808.
 */
public record ParameterCount(Architecture arch, long embedding, long positions, long attentionPerLayer,
                             long mlpPerExpert, long routerPerLayer, long layerNormPerLayer, long finalLayerNorm,
                             long unembedding, long gatePerLayer) {

    public static ParameterCount of(Architecture a) {
        long d = a.dModel(), f = a.dMlp();
        long embedding = a.vocab() * d;
        long positions = a.learnedPositions() ? a.context() * d : 0;
        long attention = 4 * d * d + 4 * d;
        long mlp = a.attnOnly() ? 0 : a.swiglu() ? 3 * d * f + 2 * f + d : 2 * d * f + f + d;
        long router = a.attnOnly() || a.experts() == 1 ? 0 : d * a.experts();
        long norms = (a.attnOnly() ? 1 : 2) * 2 * d;
        long unembedding = a.tied() ? 0 : a.vocab() * d;
        long gates = a.gatedSublayers() * (d * a.gateWidth() + a.gateWidth());
        return new ParameterCount(a, embedding, positions, attention, mlp, router, norms, 2 * d, unembedding, gates);
    }

    /** All MLP parameters of one layer (every expert). */
    public long mlpPerLayer() {
        return mlpPerExpert * arch.experts();
    }

    /** Parameters of one block. */
    public long perLayer() {
        return attentionPerLayer + mlpPerLayer() + routerPerLayer + layerNormPerLayer + gatePerLayer;
    }

    /** The exact total. */
    public long total() {
        return embedding + positions + arch.layers() * perLayer() + finalLayerNorm + unembedding;
    }

    /** Parameters outside the embedding, positions and unembedding tables (Kaplan et al.'s N). */
    public long nonEmbedding() {
        return total() - embedding - positions - unembedding;
    }

    /** Parameters a single token actually multiplies with: only K of E experts are active. */
    public long activePerToken() {
        return total() - arch.layers() * (long) (arch.experts() - arch.topK()) * mlpPerExpert;
    }

    /**
     * The seed's approximation {@code V·d + L·(4 + 2k)·d²} (one V·d more when untied): attention's
     * four d×d maps and the MLP's two d×kd maps, ignoring biases, norms and positions.
     */
    public double seedApproximation() {
        double d = arch.dModel();
        double k = arch.attnOnly() ? 0 : arch.mlpRatio() * arch.experts();
        return arch.vocab() * d * (arch.tied() ? 1 : 2) + arch.layers() * (4 + 2 * k) * d * d;
    }
}
