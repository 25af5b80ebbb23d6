package dev.loupe.analysis.transforms;

import dev.loupe.model.Gpt;

import java.util.function.UnaryOperator;

/**
 * The result of a reversible weight transform: the transformed model (a new {@link Gpt} over new
 * tensors; the input model is left untouched) and the inverse, which maps a model in the transformed
 * parameterisation back to the original one.
 */
public record Reversible(Gpt model, UnaryOperator<Gpt> inverse) {
    /** The inverse applied to {@link #model}: the original weights again, to float32 rounding. */
    public Gpt invert() {
        return inverse.apply(model);
    }
}
