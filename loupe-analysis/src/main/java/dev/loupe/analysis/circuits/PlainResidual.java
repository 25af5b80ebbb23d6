package dev.loupe.analysis.circuits;

import dev.loupe.LoupeException;
import dev.loupe.model.Gpt;

/**
 * The guard of every analysis that reads circuits from the weights alone (QK/OV circuits,
 * composition, virtual weights, path expansion, the direct bigram path, the value contrast, the
 * learner's trace): they treat the residual stream as a sum that every sublayer only adds to, so a
 * head's write is z·W_O whatever the input. In a highway-gated model (SPEC §"Variants") every write
 * is scaled by a gate T(x) and every later carry gate, which depend on the input: no weight-only
 * product is the model's path, so these analyses refuse such a model rather than report a wrong number.
 */
public final class PlainResidual {
    private PlainResidual() {}

    /** Throws a one-line {@link LoupeException} naming {@code analysis} when {@code gpt} has highway gates. */
    public static void require(Gpt gpt, String analysis) {
        if (gpt.config().highway() == null) return;
        throw new LoupeException(analysis + " reads circuits from the weights alone, as paths through a residual stream that "
                + "only adds; this model's highway gates scale each sublayer's write and carry by T(x), which depends on the "
                + "input, so no weight-only path is the model's. Use 'loupe highway', 'loupe attribute' or 'loupe lens' "
                + "(they hold one run's gates fixed)");
    }
}
