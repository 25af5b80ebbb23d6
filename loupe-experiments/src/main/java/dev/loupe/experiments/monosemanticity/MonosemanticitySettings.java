package dev.loupe.experiments.monosemanticity;

import dev.loupe.model.GptConfig;

/**
 * The settings of {@link Monosemanticity}: "Towards Monosemanticity" (Bricken et al. 2023) scaled to
 * a CPU — a one-layer transformer with a ReLU MLP of {@code dMlp} neurons on {@link ProxyCorpus}
 * text, then a sparse autoencoder {@code expansion} times wider than the MLP on its activations.
 *
 * @param seed            seeds the corpus, the model, the autoencoder and the sampling: same seed, same report
 * @param trainTokens     characters (tokens) of training text for the transformer
 * @param steps           transformer training steps
 * @param batch           sequences per transformer step
 * @param context         tokens per sequence
 * @param dModel          width of the residual stream
 * @param dMlp            MLP neurons
 * @param heads           attention heads
 * @param lr              the transformer's peak learning rate
 * @param expansion       d_sae / d_mlp
 * @param saeTokens       activation vectors the autoencoder trains on
 * @param saeBatch        activation vectors per autoencoder step
 * @param l1Coefficient   the autoencoder's L1 coefficient
 * @param saeLr           the autoencoder's learning rate
 * @param evalTokens      tokens of fresh text on which neurons and features are measured
 * @param dashboards      feature dashboards in the report (the best feature and neuron of each class come first)
 */
public record MonosemanticitySettings(long seed, int trainTokens, int steps, int batch, int context, int dModel, int dMlp,
                                      int heads, double lr, int expansion, long saeTokens, int saeBatch,
                                      double l1Coefficient, double saeLr, int evalTokens, int dashboards) {
    public MonosemanticitySettings {
        if (steps < 1 || batch < 1 || context < 8 || dModel < 8 || dMlp < 8 || heads < 1 || dModel % heads != 0) {
            throw new IllegalArgumentException("monosemanticity: steps, batch ≥ 1, context ≥ 8, d_model, d_mlp ≥ 8, heads dividing d_model");
        }
        if (expansion < 1 || saeTokens < saeBatch || saeBatch < 1) {
            throw new IllegalArgumentException("monosemanticity: expansion ≥ 1 and at least one autoencoder batch of tokens");
        }
        if (evalTokens < context || trainTokens < 10 * context) {
            throw new IllegalArgumentException("monosemanticity: too few training or evaluation tokens for the context");
        }
    }

    /** The defaults of {@code loupe reproduce monosemanticity}: d_model 128, 512 neurons, an 8× autoencoder. */
    public static MonosemanticitySettings defaults(long seed) {
        return new MonosemanticitySettings(seed, 2_000_000, 2000, 32, 64, 128, 512, 4, 3e-3, 8, 600_000L, 512,
                4.0, 1e-3, 32_768, 16);
    }

    /** The transformer: one layer, pre-LN, ReLU MLP, learned positions, untied unembedding. */
    public GptConfig config(int vocab) {
        return new GptConfig(vocab, context, dModel, 1, heads, dMlp, 1e-5f, false, GptConfig.Norm.PRE,
                GptConfig.Mlp.RELU, GptConfig.Positional.LEARNED);
    }

    /** The hook the autoencoder reads: the MLP's neurons. */
    public static String hook() {
        return "blocks.0.mlp.hook_post";
    }
}
