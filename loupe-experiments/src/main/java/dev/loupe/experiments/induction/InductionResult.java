package dev.loupe.experiments.induction;

import dev.loupe.model.Gpt;

/**
 * What {@link InductionReproduction} found: either a model it trained ({@code recipe} and {@code trained}
 * set, {@code modelName} null) or a model it was given ({@code modelName} set, the others null), and the
 * induction circuit read from it.
 *
 * @param recipe    the training recipe, when trained here
 * @param trained   the trained model with its training curves, when trained here
 * @param modelName how the report names a given model (e.g. its directory)
 * @param reading   the circuit read by behaviour and from the weights
 */
public record InductionResult(InductionRecipe recipe, TrainedModel trained, String modelName, InductionReading reading) {
    /** The model read. */
    public Gpt gpt() {
        return reading.gpt();
    }

    /** True when the model was trained here (and is saved with the report). */
    public boolean wasTrained() {
        return trained != null;
    }
}
