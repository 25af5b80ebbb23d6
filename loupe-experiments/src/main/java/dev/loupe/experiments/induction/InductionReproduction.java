package dev.loupe.experiments.induction;

import dev.loupe.analysis.detectors.Probe;
import dev.loupe.experiments.Progress;
import dev.loupe.model.Gpt;
import dev.loupe.train.TokenData;

/**
 * In a two-layer attention-only transformer an induction head of layer 1 finds the earlier occurrence
 * of the current token through a previous-token head of layer 0 — its keys read what that head wrote,
 * so the pair's K-composition score stands far above chance and above every other pair ("A
 * Mathematical Framework for Transformer Circuits", §"Two-Layer Attention-Only Transformers",
 * "Induction Heads"). {@link #run} trains such a model on {@link CopyCorpus} text
 * ({@link InductionRecipe#reproduction}); {@link #read} reads a given one (the quickstart's, say).
 * Both find the heads by their behaviour and set the paper's weight-based reading beside it
 * ({@link InductionReading}); {@link InductionReport} writes the result.
 */
public final class InductionReproduction {
    /** A composition score this many baseline standard deviations above the baseline mean is "far above chance". */
    public static final double FAR_ABOVE_Z = 5;
    /** An induction head: attends from the second copy of a token to the token after its first copy this much (Olsson et al.). */
    public static final double INDUCTION_BAR = 0.5;
    /** A previous-token head puts at least this share of attention on the token before (uniform over 32 tokens: ~0.13). */
    public static final double PREVIOUS_BAR = 0.3;

    /**
     * @param steps training steps, 100…100 000
     * @param seed  seed of the corpus and the weights (the probe is the standard one)
     */
    public record Settings(int steps, long seed) {
        public Settings {
            if (steps < 100 || steps > 100_000) throw new IllegalArgumentException("steps must be between 100 and 100000, got " + steps);
        }

        /** 4000 steps, seed 1: what {@code loupe reproduce induction} runs. */
        public static Settings defaults() {
            return new Settings(4000, 1);
        }
    }

    private final Settings settings;

    public InductionReproduction(Settings settings) {
        this.settings = settings;
    }

    /** Trains a 2-layer attention-only model with {@link InductionRecipe#reproduction} and reads its induction circuit. */
    public InductionResult run(Progress progress) {
        long seed = settings.seed();
        InductionRecipe s = InductionRecipe.reproduction(seed, settings.steps());
        progress.stage("training a 2-layer attention-only model (" + s.heads() + " heads, d_model " + s.dModel() + ", context "
                + s.context() + ") for " + s.steps() + " steps");
        TrainedModel trained = TrainedModel.train("attn-only-2l", 2, s, TokenData.split(s.corpus(seed, 400_000)),
                s.corpus(seed + 1_000_003, 40_000), progress);
        InductionReading reading = read(trained.gpt(), progress);
        return new InductionResult(s, trained, null, reading);
    }

    /**
     * Reads the induction circuit of a given model (at least 2 layers and 8 positions) on the standard
     * probe ({@link Probe#standard}); {@code name} is how the report refers to the model.
     */
    public static InductionResult read(Gpt gpt, String name, Progress progress) {
        int layers = gpt.config().nLayer();
        if (layers < 2) {
            throw new IllegalArgumentException("the model has " + layers + (layers == 1 ? " layer" : " layers")
                    + "; an induction circuit needs at least 2");
        }
        if (Probe.standardHalf(gpt.config()) < 4) {
            throw new IllegalArgumentException("the model has a context of " + gpt.config().nPositions() + " tokens; the probe needs 8");
        }
        return new InductionResult(null, null, name, read(gpt, progress));
    }

    /** The reading on the standard probe ({@link Probe#standard}): the scores detect, the explorer and the quickstart show. */
    private static InductionReading read(Gpt gpt, Progress progress) {
        progress.stage("reading the heads (detectors, ablations, composition scores)");
        return InductionReading.of(gpt, Probe.standard(gpt.config()), progress);
    }
}
