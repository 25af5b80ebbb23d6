package dev.loupe.analysis.interventions;

import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.tensor.Tensor;

import java.util.Map;
import java.util.SplittableRandom;

/** Small models with every parameter random and of order 1 (biases and LayerNorm too), so no term hides. */
public final class TestModels {
    private TestModels() {}

    public static Gpt random(GptConfig.Norm norm, GptConfig.Mlp mlp, long seed) {
        return of(new GptConfig(13, 16, 12, 3, 3, 20, 1e-5f, false, norm, mlp, GptConfig.Positional.LEARNED), seed);
    }

    /** A model of configuration {@code c} whose every parameter is random of order 1 (LayerNorm gains around 1). */
    public static Gpt of(GptConfig c, long seed) {
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

    public static int[] tokens(long seed, int n, int vocab) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) ids[i] = r.nextInt(vocab);
        return ids;
    }
}
