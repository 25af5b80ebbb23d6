package dev.loupe.experiments;

import dev.loupe.model.Gpt;
import dev.loupe.train.AdamW;
import dev.loupe.train.LrSchedule;
import dev.loupe.train.TokenData;
import dev.loupe.train.Trainer;
import dev.loupe.train.TrainingSettings;

/** The training loop the small reproductions share: a model on a generated token stream. */
public final class StreamTraining {
    private StreamTraining() {}

    /**
     * Trains {@code gpt} on {@code stream} (90/10 split) with AdamW (β 0.9/0.95, no weight decay, gradient
     * clip 1.0) and a cosine schedule from {@code lr} to lr/10 after a warm-up of min(50, steps/5) steps,
     * batches of {@code batch} random windows of {@code seqLen} tokens; returns the first and last training loss.
     */
    public static float[] train(Gpt gpt, int[] stream, int batch, int seqLen, int steps, double lr, long seed, Progress progress) {
        LrSchedule schedule = new LrSchedule(lr, lr / 10, Math.min(50, steps / 5), steps, LrSchedule.Kind.COSINE);
        TrainingSettings settings = new TrainingSettings(batch, seqLen, steps, schedule,
                new AdamW.Settings(0.9, 0.95, 1e-8, 0.0), 1.0, "random", seed, 0, 0, 0);
        Trainer trainer = new Trainer(gpt, settings, TokenData.split(stream));
        try (Progress.Training listener = progress.training(steps)) {
            trainer.run(listener, t -> { });
        }
        var h = trainer.history().steps();
        return new float[] {h.getFirst().loss(), h.getLast().loss()};
    }
}
