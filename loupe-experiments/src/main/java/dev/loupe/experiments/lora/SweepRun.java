package dev.loupe.experiments.lora;

import java.nio.file.Path;

/**
 * One fine-tune of a {@link LoraRankSweep}: LoRA at one rank, or the full fine-tune.
 *
 * @param name           "r8" for LoRA at rank 8, "full" for the full fine-tune
 * @param rank           r, or 0 for the full fine-tune
 * @param alpha          lora_alpha (0 for the full fine-tune)
 * @param trainable      trainable parameters: Σ r·(in + out) over the targeted modules, or every parameter
 * @param trainLoss      mean loss on the first windows of the fine-tune training text after training (as many as held out)
 * @param valLoss        mean loss on every window of the held-out fine-tune text (what {@code loupe eval} reports)
 * @param originalLoss   mean loss on held-out text of the base model's own training data; NaN when unknown
 * @param diskBytes      bytes of the saved files: adapter_config.json + adapter_model.safetensors, or config.json + model.safetensors
 * @param secondsPerStep median wall time of one training step
 * @param trainSeconds   wall time of all training steps
 * @param stateBytes     float32 bytes of the weights, gradient buffers and AdamW moments the run held (counted from the live tensors; activations not included)
 * @param dir            where the adapter (or the fully fine-tuned model) was saved
 */
public record SweepRun(String name, int rank, double alpha, long trainable, double trainLoss, double valLoss, double originalLoss,
                       long diskBytes, double secondsPerStep, double trainSeconds, long stateBytes, Path dir) {
    /** Whether this is the full fine-tune. */
    public boolean full() {
        return rank == 0;
    }
}
