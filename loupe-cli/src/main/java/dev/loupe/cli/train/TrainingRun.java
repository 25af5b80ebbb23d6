package dev.loupe.cli.train;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loupe.LoupeException;
import dev.loupe.train.Checkpoints;
import dev.loupe.train.Evaluator;
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

    /**
     * Runs {@code trainer} to its last step, then evaluates the whole validation set (when there is
     * one) and returns that result, or null; {@code resumed} appends to {@code logJson} instead of
     * starting it.
     */
    public static Evaluator.Result run(Trainer trainer, Checkpoints checkpoints, JsonNode extra, Path out, Path logJson,
                                       boolean resumed, PrintStream err) {
        try (ProgressReporter progress = new ProgressReporter(err, trainer.step(), trainer.settings().steps(), logJson, resumed)) {
            progress.validationTokens(trainer.validationTokens());
            trainer.run(progress, t -> {
                checkpoints.save(t, extra);
                LossChart.write(t.history(), out);
            });
            if (trainer.validationTokens() == 0) return null;
            progress.finalEvalStarts();
            Evaluator.Result full = trainer.evaluateAll(new dev.loupe.cli.EvaluationProgress(err, "validation"));
            progress.onFinalEval(trainer.step(), full);
            return full;
        } catch (NonFiniteException e) {
            String last = checkpoints.latest().map(p -> "; the last good checkpoint is " + p).orElse("; no checkpoint was saved");
            throw new LoupeException(e.getMessage() + last + " (try a lower --lr or --grad-clip)", e);
        }
    }

    /** ", validation loss X (whole validation set, N tokens)" of {@code full}, or "" when there was none. */
    public static String validation(Evaluator.Result full) {
        return full == null ? "" : String.format(java.util.Locale.ROOT, ", validation loss %.4f (whole validation set, %,d tokens)",
                full.loss(), full.tokens());
    }
}
