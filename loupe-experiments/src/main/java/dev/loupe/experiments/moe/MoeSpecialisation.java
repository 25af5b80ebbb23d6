package dev.loupe.experiments.moe;

import dev.loupe.analysis.moe.LabelledRouting;
import dev.loupe.analysis.moe.LayerRouting;
import dev.loupe.analysis.moe.RoutingDiagnostics;
import dev.loupe.experiments.Progress;
import dev.loupe.experiments.StreamTraining;
import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.model.MoeSettings;
import dev.loupe.tokens.CharTokenizer;
import dev.loupe.train.Evaluator;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Mixture-of-experts routing with and without the load-balancing loss (Shazeer et al. 2017, Switch
 * Transformer, Fedus et al. 2021): trains three small models on {@link MixedSources} — a MoE without the
 * aux loss (α = 0), the same MoE with it, and a dense model whose MLP has the MoE's active width (k·d_e)
 * — then routes held-out text through each MoE and reads per layer the load (counts, CV, dead experts),
 * RᵀR, router entropy and the mutual information between a token's source and its expert.
 * The expected reading: without the aux loss the router collapses onto few experts; with it the load
 * spreads and experts specialise by source; the MoE matches or beats the dense model of equal active
 * parameters. {@link MoeSpecialisationReport} writes the result.
 */
public final class MoeSpecialisation {
    public static final int LAYERS = 2, D_MODEL = 64, HEADS = 4, SEQ = 64, BATCH = 16, HELD_OUT_CHARS = 20_000;
    public static final double LR = 3e-3;

    /**
     * @param steps       training steps per model, 20…100 000
     * @param experts     E, 2…16
     * @param topK        k, 1…E
     * @param dExpert     each expert's hidden width (the dense model's d_mlp is k·d_e)
     * @param auxLossCoef α of the run with the load-balancing loss (> 0)
     * @param zLossCoef   β of the router z-loss, in both MoE runs
     * @param chars       training corpus size in characters (tokens)
     * @param seed        seed of the corpus and the weights
     */
    public record Settings(int steps, int experts, int topK, int dExpert, float auxLossCoef, float zLossCoef, int chars, long seed) {
        public Settings {
            if (steps < 20 || steps > 100_000) throw new IllegalArgumentException("steps must be between 20 and 100000, got " + steps);
            if (experts < 2 || experts > 16) throw new IllegalArgumentException("experts must be between 2 and 16, got " + experts);
            if (topK < 1 || topK > experts) throw new IllegalArgumentException("top-k must be between 1 and experts (" + experts + "), got " + topK);
            if (dExpert < 1 || dExpert > 4096) throw new IllegalArgumentException("d_expert must be between 1 and 4096, got " + dExpert);
            if (!(auxLossCoef > 0) || !Float.isFinite(auxLossCoef)) throw new IllegalArgumentException("aux loss coefficient must be > 0, got " + auxLossCoef);
            if (!(zLossCoef >= 0) || !Float.isFinite(zLossCoef)) throw new IllegalArgumentException("z-loss coefficient must be >= 0, got " + zLossCoef);
            if (chars < 10 * SEQ) throw new IllegalArgumentException("the corpus needs at least " + 10 * SEQ + " characters, got " + chars);
        }

        /**
         * What {@code loupe reproduce moe-specialisation} runs: 800 steps, 4 experts, top-2, d_e 32 (dense d_mlp 64), α 0.01,
         * β 0.001, 400 000 characters. Top-2, because with top-1 the renormalised kept weight is always 1 and the router
         * learns nothing from the language-model loss (only from the aux and z losses).
         */
        public static Settings defaults() {
            return new Settings(800, 4, 2, 32, 0.01f, 0.001f, 400_000, 1);
        }
    }

    /**
     * One trained model.
     *
     * @param name         "without aux loss", "with aux loss" or "dense"
     * @param gpt          the model
     * @param lossFirst    training loss of the first step
     * @param lossLast     training loss of the last step
     * @param heldOutLoss  mean loss on the held-out text, nats per token
     * @param parameters   all parameters
     * @param active       parameters used per token (MoE: the k routed experts and the router; dense: all)
     * @param routing      routing diagnostics on the held-out text (null for the dense model)
     * @param bySource     per MoE layer, source × first-choice expert counts on the held-out text (empty for the dense model)
     */
    public record Run(String name, Gpt gpt, float lossFirst, float lossLast, double heldOutLoss, long parameters, long active,
                      RoutingDiagnostics routing, List<LabelledRouting> bySource) {
        /** Mean over MoE layers of the load coefficient of variation. */
        public double meanLoadCv() {
            return routing.layers().stream().mapToDouble(l -> l.loadCv()).average().orElse(0);
        }

        /** Dead experts summed over MoE layers. */
        public int deadExperts() {
            return routing.layers().stream().mapToInt(l -> l.deadExperts().size()).sum();
        }

        /** The largest I(source; expert) over MoE layers, bits. */
        public double maxSourceInformation() {
            return bySource.stream().mapToDouble(LabelledRouting::mutualInformationBits).max().orElse(0);
        }
    }

    private final Settings settings;

    public MoeSpecialisation(Settings settings) {
        this.settings = settings;
    }

    /** Generates the corpus, trains the three models and reads their routing. */
    public MoeSpecialisationResult run(Progress progress) {
        Settings s = settings;
        CharTokenizer tok = MixedSources.tokenizer();
        MixedSources.Labelled train = MixedSources.generate(s.seed(), 0, s.chars());
        MixedSources.Labelled held = MixedSources.generate(s.seed(), 1, HELD_OUT_CHARS);
        int[] trainIds = tok.encode(train.text()), heldIds = tok.encode(held.text());
        GptConfig dense = new GptConfig(tok.vocabSize(), SEQ, D_MODEL, LAYERS, HEADS, s.topK() * s.dExpert(), 1e-5f, true,
                GptConfig.Norm.PRE, GptConfig.Mlp.GELU, GptConfig.Positional.LEARNED);
        List<Run> runs = new ArrayList<>();
        runs.add(train("without aux loss", dense.withMoe(moe(0f)), trainIds, heldIds, held.sources(), progress));
        runs.add(train("with aux loss", dense.withMoe(moe(s.auxLossCoef())), trainIds, heldIds, held.sources(), progress));
        runs.add(train("dense", dense, trainIds, heldIds, held.sources(), progress));
        return new MoeSpecialisationResult(s, tok, train.text().substring(0, 200), runs);
    }

    private MoeSettings moe(float aux) {
        return new MoeSettings(settings.experts(), settings.topK(), settings.dExpert(), MoeSettings.Router.SOFTMAX_TOPK, aux,
                settings.zLossCoef(), null, null);
    }

    private Run train(String name, GptConfig c, int[] trainIds, int[] heldIds, byte[] heldSources, Progress progress) {
        Gpt gpt = Gpt.create(c, settings.seed());
        progress.stage("training the " + (c.moe() == null ? "dense model (d_mlp " + c.dMlp() + ")" : "MoE " + name + " ("
                + c.moe().experts() + " experts, top-" + c.moe().topK() + ", α " + c.moe().auxLossCoef() + ")") + " for " + settings.steps() + " steps");
        float[] loss = StreamTraining.train(gpt, trainIds, BATCH, SEQ, settings.steps(), LR, settings.seed(), progress);
        double heldOut = Evaluator.evaluate(gpt, List.of(heldIds), 8, SEQ, 0).loss();
        long total = c.parameterCount();
        if (c.moe() == null) return new Run(name, gpt, loss[0], loss[1], heldOut, total, total, null, List.of());
        progress.detail("routing " + heldIds.length + " held-out tokens");
        List<LabelledRouting> bySource = new ArrayList<>();
        for (int l : RoutingDiagnostics.moeLayers(c)) bySource.add(new LabelledRouting(l, MixedSources.SOURCES.size(), c.moe().experts(), true));
        RoutingDiagnostics routing = RoutingDiagnostics.over(gpt, heldIds, SEQ, RoutingDiagnostics.Settings.defaults(),
                (done, all) -> progress.step(done, all, "windows routed"), (start, rs) -> {
                    for (int i = 0; i < rs.size(); i++) {
                        LayerRouting r = rs.get(i);
                        bySource.get(i).add(r, Arrays.copyOfRange(heldSources, start, start + r.tokens()));
                    }
                });
        return new Run(name, gpt, loss[0], loss[1], heldOut, total, activeParameters(c), routing, List.copyOf(bySource));
    }

    /** All parameters minus those of the E − k experts a token does not use, per MoE layer. */
    static long activeParameters(GptConfig c) {
        MoeSettings m = c.moe();
        int d = c.dModel(), de = m.dExpert();
        long perExpert = (long) d * de + de + (long) de * d + d;   // c_fc (weight, bias) + c_proj (weight, bias), GELU
        return c.parameterCount() - (long) RoutingDiagnostics.moeLayers(c).size() * (m.experts() - m.topK()) * perExpert;
    }
}
