package dev.loupe.cli.train;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loupe.LoupeException;
import dev.loupe.train.Checkpoints;
import dev.loupe.train.NonFiniteException;
import dev.loupe.train.Trainer;

import java.io.PrintStream;
import java.nio.file.Path;

/**
 * The part of a training command after the trainer is set up, shared by {@code train} and
 * {@code finetune}: run the remaining steps with progress lines, a checkpoint and the loss chart at
 * each checkpoint step, and a non-finite loss or gradient turned into one line naming the last good
 * checkpoint.
 */
public final class TrainingRun {
    private TrainingRun() {}

    /** Runs {@code trainer} to its last step; {@code resumed} appends to {@code logJson} instead of starting it. */
    public static void run(Trainer trainer, Checkpoints checkpoints, JsonNode extra, Path out, Path logJson, boolean resumed,
                           PrintStream err) {
        try (ProgressReporter progress = new ProgressReporter(err, trainer.step(), trainer.settings().steps(), logJson, resumed)) {
            trainer.run(progress, t -> {
                checkpoints.save(t, extra);
                LossChart.write(t.history(), out);
            });
        } catch (NonFiniteException e) {
            String last = checkpoints.latest().map(p -> "; the last good checkpoint is " + p).orElse("; no checkpoint was saved");
            throw new LoupeException(e.getMessage() + last + " (try a lower --lr or --grad-clip)", e);
        }
    }

    /** ", validation loss X" of the last evaluation, or "" when there was none. */
    public static String lastValidation(Trainer trainer) {
        var evals = trainer.history().evals();
        return evals.isEmpty() ? "" : String.format(", validation loss %.4f", evals.getLast().loss());
    }
}
