package dev.loupe.model;

import java.util.List;

/** Tiny mixture-of-experts configurations for the tests: 4 experts, top-2, d_expert 6, on TinyModels' shapes. */
final class MoeModels {
    private MoeModels() {}

    /** E = 4, k = 2, d_e = 6, visible loss coefficients (α 0.1, β 0.01), no capacity limit, every layer. */
    static MoeSettings settings(MoeSettings.Router router) {
        return new MoeSettings(4, 2, 6, router, 0.1f, 0.01f, null, null);
    }

    static GptConfig config(GptConfig.Mlp mlp, MoeSettings s) {
        return TinyModels.config(GptConfig.Positional.LEARNED, GptConfig.Norm.PRE, mlp, true, 2).withMoe(s);
    }

    /**
     * The MoE variants the references check: each MLP kind, both routers, top-1, MoE in layer 1 only,
     * a post-LN model, and a capacity factor small enough to drop slots.
     */
    static List<GptConfig> variants() {
        MoeSettings s = settings(MoeSettings.Router.SOFTMAX_TOPK);
        return List.of(
                config(GptConfig.Mlp.GELU, s),
                config(GptConfig.Mlp.RELU, s),
                config(GptConfig.Mlp.SWIGLU, s),
                config(GptConfig.Mlp.GELU, settings(MoeSettings.Router.TOPK_SOFTMAX)),
                config(GptConfig.Mlp.GELU, new MoeSettings(4, 1, 6, MoeSettings.Router.SOFTMAX_TOPK, 0.1f, 0.01f, null, null)),
                config(GptConfig.Mlp.SWIGLU, new MoeSettings(4, 2, 6, MoeSettings.Router.SOFTMAX_TOPK, 0.1f, 0.01f, null, List.of(1))),
                TinyModels.config(GptConfig.Positional.SINUSOIDAL, GptConfig.Norm.POST, GptConfig.Mlp.RELU, false, 2).withMoe(s),
                config(GptConfig.Mlp.GELU, new MoeSettings(4, 2, 6, MoeSettings.Router.SOFTMAX_TOPK, 0.1f, 0.01f, 0.6f, null)));
    }

    static String describe(GptConfig c) {
        MoeSettings m = c.moe();
        return TinyModels.describe(c) + " E" + m.experts() + " k" + m.topK() + " " + m.router().configName()
                + (m.capacityFactor() == null ? "" : " capacity " + m.capacityFactor()) + (m.layers() == null ? "" : " layers " + m.layers());
    }
}
