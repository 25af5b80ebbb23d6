package dev.loupe.analysis.napkin;

import dev.loupe.LoupeException;
import dev.loupe.model.GptConfig;

import java.util.List;
import java.util.Locale;

/**
 * The sizes napkin math needs, in the seed's notation: vocabulary V, context n_ctx, width d
 * (d_model), depth L, heads h, MLP width d_ff = k·d, tying, and the variants that change the count
 * (attention-only, SwiGLU, mixture of experts with E experts of which K are active per token).
 *
 * <p>Counts use {@code long}: GPT-3-sized models overflow {@code int}.
 */
public record Architecture(String name, long vocab, long context, long dModel, long layers, long heads, long dMlp,
                           boolean tied, boolean attnOnly, boolean swiglu, boolean learnedPositions,
                           int experts, int topK) {

    public Architecture {
        check(vocab > 0, "--vocab must be positive");
        check(context > 0, "--ctx must be positive");
        check(dModel > 0, "--d-model must be positive");
        check(layers > 0, "--layers must be positive");
        check(heads > 0, "--heads must be positive");
        check(attnOnly || dMlp > 0, "--d-mlp must be positive");
        check(experts >= 1, "--experts must be at least 1");
        check(topK >= 1 && topK <= experts, "--top-k must be between 1 and --experts (" + experts + ")");
    }

    /** A GPT-2-style dense model: learned positions, tied embeddings, GELU MLP of width k·d. */
    public static Architecture gpt2Style(String name, long vocab, long context, long d, long layers, long heads) {
        return new Architecture(name, vocab, context, d, layers, heads, 4 * d, true, false, false, true, 1, 1);
    }

    /** The published configurations the figures are checked against. */
    public static final List<Architecture> PRESETS = List.of(
            gpt2Style("gpt2", 50257, 1024, 768, 12, 12),
            gpt2Style("gpt2-medium", 50257, 1024, 1024, 24, 16),
            gpt2Style("gpt2-large", 50257, 1024, 1280, 36, 20),
            gpt2Style("gpt2-xl", 50257, 1024, 1600, 48, 25),
            gpt2Style("gpt3-175b", 50257, 2048, 12288, 96, 96));

    /** A preset by name, or a clear error listing the names. */
    public static Architecture preset(String name) {
        String key = name.toLowerCase(Locale.ROOT);
        return PRESETS.stream().filter(a -> a.name.equals(key)).findFirst().orElseThrow(() ->
                new LoupeException("unknown preset '" + name + "'; choose one of "
                        + String.join(", ", PRESETS.stream().map(Architecture::name).toList())));
    }

    /**
     * The architecture of a model directory's configuration. A mixture of experts in every layer
     * counts E experts of width d_expert (d_ff here), k active per token, and the router; a mixture in
     * only some layers ({@code moe.layers}) has layers of two kinds, which this uniform-layer model
     * cannot count: that is an error rather than a wrong number.
     */
    public static Architecture of(String name, GptConfig c) {
        dev.loupe.model.MoeSettings moe = c.mlp() == GptConfig.Mlp.NONE ? null : c.moe();
        if (moe != null && moe.experts() == 1) {
            throw new LoupeException(name + ": napkin math counts a router only for two or more experts; this mixture has one");
        }
        if (moe != null && moe.layers() != null && moe.layers().size() != c.nLayer()) {
            throw new LoupeException(name + ": napkin math counts models whose layers are alike; this one has mixture-of-experts"
                    + " MLPs in layers " + moe.layers() + " only (config.json loupe.moe.layers) and dense MLPs elsewhere");
        }
        return new Architecture(name, c.vocabSize(), c.nPositions(), c.dModel(), Math.max(1, c.nLayer()), c.nHead(),
                c.mlp() == GptConfig.Mlp.NONE ? 0 : moe != null ? moe.dExpert() : c.dMlp(), c.tied(), c.mlp() == GptConfig.Mlp.NONE,
                c.mlp() == GptConfig.Mlp.SWIGLU, c.positional() == GptConfig.Positional.LEARNED,
                moe != null ? moe.experts() : 1, moe != null ? moe.topK() : 1);
    }

    /** k = d_ff / d, the MLP's expansion ratio. */
    public double mlpRatio() {
        return (double) dMlp / dModel;
    }

    /** d_head = d / h (may be fractional for a badly chosen shape; see {@link ShapeAdvice}). */
    public double headDim() {
        return (double) dModel / heads;
    }

    private static void check(boolean ok, String message) {
        if (!ok) throw new LoupeException(message);
    }
}
