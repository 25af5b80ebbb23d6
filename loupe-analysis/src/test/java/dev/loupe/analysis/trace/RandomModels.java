package dev.loupe.analysis.trace;

import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.tensor.Tensor;

import java.util.Map;

/** Small models with every parameter random and of order 1 (biases and LayerNorm too), so no term hides. */
final class RandomModels {
    private RandomModels() {}

    static Gpt of(GptConfig c, long seed) {
        Gpt gpt = Gpt.create(c, seed);
        long s = seed * 1000;
        for (Map.Entry<String, Tensor> e : gpt.parameters().entrySet()) {
            Tensor r = Tensor.randn(++s, 0.4f, e.getValue().shape());
            float[] d = e.getValue().contiguousData(), rd = r.contiguousData();
            boolean gain = e.getKey().contains("ln_") && e.getKey().endsWith("weight");
            for (int i = 0; i < d.length; i++) d[i] = (gain ? 1f : 0f) + rd[i];
        }
        return gpt;
    }

    static GptConfig config(int vocab, GptConfig.Norm norm, GptConfig.Mlp mlp, GptConfig.Positional pos, boolean tied) {
        return new GptConfig(vocab, 16, 12, 2, 3, 20, 1e-5f, tied, norm, mlp, pos);
    }
}
