package dev.loupe.model.lora;

import dev.loupe.train.AdamW;
import dev.loupe.train.LrSchedule;
import dev.loupe.train.TrainingSettings;

/**
 * The training recipe of a fine-tune ({@code loupe finetune}, the LoRA rank sweep): AdamW with
 * β = (0.9, 0.999) and ε = 1e-8 (PEFT's and Hugging Face Trainer's defaults, not {@code train}'s β₂ 0.95),
 * a linear warm-up then cosine decay to lr/10, global-norm clipping, batches of random windows.
 * One place, so the command and the experiments fine-tune the same way.
 */
public final class FinetuneSettings {
    private FinetuneSettings() {}

    /**
     * The recipe at these sizes.
     *
     * @throws IllegalArgumentException when a value is out of range (the message names it)
     */
    public static TrainingSettings of(int batch, int seqLen, int steps, double lr, int warmup, double weightDecay, double gradClip,
                                      long seed, int evalEvery, int evalBatches, int checkpointEvery) {
        LrSchedule schedule = new LrSchedule(lr, lr / 10, warmup, steps, LrSchedule.Kind.COSINE);
        return new TrainingSettings(batch, seqLen, steps, schedule, new AdamW.Settings(0.9, 0.999, 1e-8, weightDecay), gradClip,
                "random", seed, evalEvery, evalBatches, checkpointEvery);
    }
}
