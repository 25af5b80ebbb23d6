package dev.loupe.experiments.grokking;

import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.tensor.Tensor;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The model of Nanda et al.'s grokking runs as a Loupe {@link GptConfig}: vocabulary p + 1 (the last
 * id is "="), context 3, one block, ReLU MLP, no LayerNorm, learned positions, untied unembedding, no
 * attention biases (the MLP keeps its biases), and their initialisation.
 */
public final class GrokkingModel {
    private GrokkingModel() {}

    /** The configuration for {@code s}. */
    public static GptConfig config(GrokkingSettings s) {
        return new GptConfig(s.p() + 1, ModularAddition.SEQ, s.dModel(), 1, s.heads(), s.dMlp(), 1e-5f, false,
                GptConfig.Norm.NONE, GptConfig.Mlp.RELU, GptConfig.Positional.LEARNED).withAttnBias(false);
    }

    /**
     * A fresh model initialised as in Nanda et al.'s code: every weight matrix N(0, 1/d_model) (W_E,
     * W_pos, W_Q, W_K, W_V, W_O, W_in, W_out), W_U N(0, 1/V), MLP biases 0. Same seed, same model.
     */
    public static Gpt create(GrokkingSettings s) {
        GptConfig c = config(s);
        SplittableRandom seeds = new SplittableRandom(s.seed() ^ 0x6A09E667F3BCC909L);
        Map<String, Tensor> w = new LinkedHashMap<>();
        float std = (float) (1 / Math.sqrt(c.dModel()));
        for (Map.Entry<String, int[]> e : c.expectedShapes().entrySet()) {
            String name = e.getKey();
            long seed = seeds.nextLong();
            Tensor t;
            if (name.endsWith(".bias")) t = Tensor.zeros(e.getValue());
            else if (name.equals("lm_head.weight")) t = Tensor.randn(seed, (float) (1 / Math.sqrt(c.vocabSize())), e.getValue());
            else t = Tensor.randn(seed, std, e.getValue());
            w.put(name, t);
        }
        return Gpt.fromWeights(c, w);
    }
}
