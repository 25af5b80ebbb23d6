package dev.loupe.model;

import dev.loupe.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/** Tiny models of every variant, with parameters large enough that every non-linearity bends. */
final class TinyModels {
    private TinyModels() {}

    static GptConfig config(GptConfig.Positional pos, GptConfig.Norm norm, GptConfig.Mlp mlp, boolean tied, int layers) {
        return new GptConfig(11, 8, 8, layers, 2, 12, 1e-5f, tied, norm, mlp, pos);
    }

    /**
     * All 72 combinations of positions × norm × MLP × tying with two layers, the three norms without
     * attention biases, plus 0-layer models.
     */
    static List<GptConfig> allVariants() {
        List<GptConfig> out = new ArrayList<>();
        for (GptConfig.Positional p : GptConfig.Positional.values())
            for (GptConfig.Norm n : GptConfig.Norm.values())
                for (GptConfig.Mlp m : GptConfig.Mlp.values())
                    for (boolean tied : new boolean[] {true, false})
                        out.add(config(p, n, m, tied, 2));
        for (GptConfig.Norm n : GptConfig.Norm.values())
            out.add(config(GptConfig.Positional.LEARNED, n, GptConfig.Mlp.RELU, false, 2).withAttnBias(false));
        out.add(config(GptConfig.Positional.NONE, GptConfig.Norm.PRE, GptConfig.Mlp.NONE, false, 0));
        out.add(config(GptConfig.Positional.LEARNED, GptConfig.Norm.PRE, GptConfig.Mlp.GELU, true, 0));
        return out;
    }

    /**
     * Linear and least-squares attention (SPEC §"Variants") on two-layer models: every feature map,
     * normalised and not, fixed and learned α, pre- and post-LN. (Identity features with the
     * normaliser are left out: φ(q)·Σφ(k) can cross 0, where the output is unbounded by design.)
     */
    static List<GptConfig> attentionKindVariants() {
        GptConfig pre = config(GptConfig.Positional.LEARNED, GptConfig.Norm.PRE, GptConfig.Mlp.GELU, true, 2);
        GptConfig post = config(GptConfig.Positional.SINUSOIDAL, GptConfig.Norm.POST, GptConfig.Mlp.NONE, false, 2);
        return List.of(
                pre.withAttention(AttentionKind.linear(AttentionKind.FeatureMap.ELU1, true)),
                post.withAttention(AttentionKind.linear(AttentionKind.FeatureMap.ELU1, true)),
                pre.withAttention(AttentionKind.linear(AttentionKind.FeatureMap.ELU1, false)),
                pre.withAttention(AttentionKind.linear(AttentionKind.FeatureMap.IDENTITY, false)),
                pre.withAttention(AttentionKind.leastSquares(1f, false)),
                post.withAttention(AttentionKind.leastSquares(0.3f, false)),
                pre.withAttention(AttentionKind.leastSquares(0.5f, true)));
    }

    /**
     * Highway-gated models (SPEC §"Variants"): vector and scalar gates, both modes, both sublayers,
     * each sublayer alone, with every MLP kind and attention-only.
     */
    static List<GptConfig> highwayVariants() {
        List<GptConfig> out = new ArrayList<>();
        var both = java.util.EnumSet.allOf(HighwaySettings.Sublayer.class);
        for (HighwaySettings.Gate g : HighwaySettings.Gate.values())
            for (HighwaySettings.Mode m : HighwaySettings.Mode.values())
                out.add(config(GptConfig.Positional.LEARNED, GptConfig.Norm.PRE, GptConfig.Mlp.GELU, true, 2)
                        .withHighway(new HighwaySettings(both, g, m, -1f)));
        out.add(config(GptConfig.Positional.SINUSOIDAL, GptConfig.Norm.PRE, GptConfig.Mlp.SWIGLU, false, 2)
                .withHighway(new HighwaySettings(java.util.EnumSet.of(HighwaySettings.Sublayer.MLP), HighwaySettings.Gate.VECTOR,
                        HighwaySettings.Mode.HIGHWAY, 0f)));
        out.add(config(GptConfig.Positional.LEARNED, GptConfig.Norm.PRE, GptConfig.Mlp.RELU, true, 2)
                .withHighway(new HighwaySettings(java.util.EnumSet.of(HighwaySettings.Sublayer.ATTN), HighwaySettings.Gate.SCALAR,
                        HighwaySettings.Mode.GATED_RESIDUAL, 0f)));
        out.add(config(GptConfig.Positional.LEARNED, GptConfig.Norm.PRE, GptConfig.Mlp.NONE, true, 2)
                .withHighway(new HighwaySettings(java.util.EnumSet.of(HighwaySettings.Sublayer.ATTN), HighwaySettings.Gate.VECTOR,
                        HighwaySettings.Mode.HIGHWAY, 0f)));
        return out;
    }

    static String describe(GptConfig c) {
        return c.nLayer() + "L " + c.positional() + " " + c.norm() + "-LN mlp=" + c.mlp() + (c.tied() ? " tied" : " untied")
                + (c.attnBias() ? "" : " no-attn-bias")
                + (c.attention().isSoftmax() ? "" : " " + c.attention().describe())
                + (c.highway() == null ? "" : " highway " + c.highway().sublayers() + " " + c.highway().gate() + " " + c.highway().mode());
    }

    /**
     * A model whose weights are N(0, 0.4²), biases N(0, 0.1²) and LayerNorm γ = 1 + N(0, 0.2²): with
     * d_model = 8 the pre-activations are O(1), so GELU/SiLU curve, ReLU cuts and softmax is peaked.
     */
    static Gpt randomModel(GptConfig c, long seed) {
        Gpt m = Gpt.create(c, seed);
        SplittableRandom r = new SplittableRandom(seed ^ 0x5DEECE66DL);
        for (Map.Entry<String, Tensor> e : m.parameters().entrySet()) {
            float[] d = e.getValue().contiguousData();
            boolean ln = e.getKey().contains("ln_");
            boolean bias = e.getKey().endsWith(".bias");
            for (int i = 0; i < d.length; i++) {
                double g = Tensor.gaussian(r);
                d[i] = (float) (ln && !bias ? 1 + 0.2 * g : bias ? 0.1 * g : 0.4 * g);
            }
        }
        return m;
    }

    static int[] tokens(long seed, int n, int vocab) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) ids[i] = r.nextInt(vocab);
        return ids;
    }
}
