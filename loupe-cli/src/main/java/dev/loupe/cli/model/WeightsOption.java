package dev.loupe.cli.model;

import dev.loupe.LoupeException;
import dev.loupe.cli.UsageException;
import dev.loupe.model.WeightFormat;
import picocli.CommandLine.Option;

/**
 * {@code --weights f32|bf16}, for the commands that only run a model (generate, logits, lens,
 * attention, ablate, cache): bf16 holds the weight matrices in bfloat16 — half the memory, about
 * twice the decoding speed, logits within about 1 % of float32's spread — with activations, hooks
 * and accumulation in float32 (docs/performance.md). The commands that also read the weights
 * (serve, attribute, circuits, contrast, sae features) take {@link AnalysisWeightsOption}, whose help says what they read.
 */
public final class WeightsOption {
    /** The help of {@code --weights}: what each format holds and costs. */
    static final String DESCRIPTION = "Hold the weight matrices as float32 (default) or bfloat16: half the memory and about twice the "
            + "decoding speed; bf16/fp16 safetensors load as stored, float32 ones are rounded to nearest even. "
            + "Activations, hooks and sums stay float32.";

    @Option(names = "--weights", defaultValue = "f32", paramLabel = "f32|bf16", description = DESCRIPTION)
    String weights;

    /** The format asked for; a usage error (exit 2) for anything else. */
    public WeightFormat format() {
        return parse(weights);
    }

    /** The format named by a {@code --weights} value; a usage error (exit 2) for anything else. */
    static WeightFormat parse(String weights) {
        try {
            return WeightFormat.parse(weights);
        } catch (LoupeException e) {
            throw new UsageException("--weights: " + e.getMessage());
        }
    }
}
