package dev.loupe.experiments.quickstart;

import dev.loupe.experiments.induction.InductionRecipe;
import dev.loupe.experiments.induction.TrainedModel;

/**
 * What {@link Quickstart} found.
 *
 * @param recipe   how both models were trained
 * @param sample   the first 48 symbols of the training text
 * @param prompt   the window of the training text saved beside each model ({@link dev.loupe.model.io.SamplePrompt})
 * @param findings the two models and what they show
 */
public record QuickstartResult(InductionRecipe recipe, String sample, String prompt, QuickstartFindings findings) {
    public TrainedModel two() {
        return findings.two();
    }

    public TrainedModel one() {
        return findings.one();
    }
}
