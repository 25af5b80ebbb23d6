package dev.loupe.experiments.quickstart;

import dev.loupe.experiments.Progress;
import dev.loupe.experiments.induction.CopyCorpus;
import dev.loupe.experiments.induction.InductionRecipe;
import dev.loupe.experiments.induction.TrainedModel;
import dev.loupe.model.io.SamplePrompt;
import dev.loupe.train.TokenData;

/**
 * The quickstart: trains a two-layer and a one-layer attention-only transformer with
 * {@link InductionRecipe#quickstart} on {@link CopyCorpus} text, finds the induction head that forms in
 * the two-layer model (and not in the other) and the layer-0 previous-token heads it rests on
 * ({@link QuickstartFindings}). {@link QuickstartReport} writes the result.
 */
public final class Quickstart {
    /**
     * @param steps training steps per model, 100…100 000
     * @param seed  seed of the data and the weights
     */
    public record Settings(int steps, long seed) {
        public Settings {
            if (steps < 100 || steps > 100_000) throw new IllegalArgumentException("steps must be between 100 and 100000, got " + steps);
        }

        /** 2000 steps, seed 1: what {@code loupe quickstart} runs. */
        public static Settings defaults() {
            return new Settings(2000, 1);
        }
    }

    private final InductionRecipe recipe;
    private final int[] corpus, heldOut;

    /** Generates the corpus (400 000 tokens) and the held-out text (40 000). */
    public Quickstart(Settings settings) {
        recipe = InductionRecipe.quickstart(settings.seed(), settings.steps());
        corpus = recipe.corpus(settings.seed(), 400_000);
        heldOut = recipe.corpus(settings.seed() + 1_000_003, 40_000);
    }

    public InductionRecipe recipe() {
        return recipe;
    }

    /** The first 48 symbols of the corpus as text. */
    public String sample() {
        return CopyCorpus.text(corpus, 0, 48);
    }

    /** Trains both models (one after the other) and measures them. */
    public QuickstartResult run(Progress progress) {
        TokenData data = TokenData.split(corpus);
        progress.stage("Training attn-only-2l …");
        TrainedModel two = TrainedModel.train("attn-only-2l", 2, recipe, data, heldOut, progress);
        progress.stage("Training attn-only-1l …");
        TrainedModel one = TrainedModel.train("attn-only-1l", 1, recipe, data, heldOut, progress);
        progress.stage("Analysing …");
        String prompt = SamplePrompt.choose(corpus, recipe.tokenizer(), recipe.context());
        return new QuickstartResult(recipe, sample(), prompt, QuickstartFindings.of(two, one, recipe));
    }
}
