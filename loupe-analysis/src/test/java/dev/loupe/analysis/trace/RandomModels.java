package dev.loupe.analysis.trace;

import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;


/** Small models with every parameter random and of order 1 (biases and LayerNorm too), so no term hides. */
final class RandomModels {
    private RandomModels() {}

    static Gpt of(GptConfig c, long seed) {
        return dev.loupe.analysis.interventions.TestModels.of(c, seed);
    }

    static GptConfig config(int vocab, GptConfig.Norm norm, GptConfig.Mlp mlp, GptConfig.Positional pos, boolean tied) {
        return new GptConfig(vocab, 16, 12, 2, 3, 20, 1e-5f, tied, norm, mlp, pos);
    }
}
