package dev.loupe.cli.model;

import dev.loupe.model.WeightFormat;
import picocli.CommandLine.Option;

/**
 * {@code --weights f32|bf16} for the commands that read the weights themselves as well as running
 * the model (serve, attribute, circuits, contrast, sae features): as {@link WeightsOption}, and its help says that with bf16
 * every analysis describes the bfloat16 model — the weight-reading ones (W_U rows for attribution,
 * W_Q/W_K/W_V/W_O, W_E, W_U for circuits) through the exact float32 widening of its rounded weights,
 * one head's block or one row at a time where that is all they need.
 */
public final class AnalysisWeightsOption {
    @Option(names = "--weights", defaultValue = "f32", paramLabel = "f32|bf16",
            description = WeightsOption.DESCRIPTION + " With bf16 the analyses describe the bfloat16 model: what they read of "
                    + "the weights (W_U, W_E, each head's W_Q, W_K, W_V, W_O) are its rounded values, widened exactly to float32, "
                    + "so scores and attributions differ from float32's by bfloat16 rounding.")
    String weights;

    /** The format asked for; a usage error (exit 2) for anything else. */
    public WeightFormat format() {
        return WeightsOption.parse(weights);
    }
}
