package dev.loupe.cli;

import dev.loupe.cli.train.ProgressReporter;
import dev.loupe.experiments.Progress;
import dev.loupe.train.Evaluator;
import dev.loupe.train.Trainer;

import java.io.PrintStream;
import java.util.Locale;

/**
 * An experiment's {@link Progress} as the CLI's progress lines on stderr: each stage on a line of its
 * own ("reproduce bigram: training a 0-layer model …"), details only once a stage has taken more than
 * two seconds ({@link QuietProgress}), training loops through the train command's {@link ProgressReporter}
 * (a bar on a terminal, about 20 lines with loss and ETA otherwise), and other loops as about 20
 * lines "step 3/40 (8%)  status  ETA 12 s" (the ETA from the stage's time so far).
 */
public final class ProgressLines implements Progress {
    private final PrintStream err;
    private final String prefix;
    private QuietProgress details;
    private long stageStart = System.nanoTime();

    /** Lines go to {@code err}, each stage line after "{@code prefix}: " (none when {@code prefix} is null). */
    public ProgressLines(PrintStream err, String prefix) {
        this.err = err;
        this.prefix = prefix;
        this.details = new QuietProgress(err, prefix == null ? "loupe" : prefix);
    }

    @Override
    public void stage(String message) {
        err.println(prefix == null ? message : prefix + ": " + message);
        details = new QuietProgress(err, prefix == null ? "loupe" : prefix);
        stageStart = System.nanoTime();
    }

    @Override
    public void detail(String message) {
        details.accept(message);
    }

    @Override
    public void step(long done, long total, String status) {
        long every = Math.max(1, total / 20);
        if (done % every != 0 && done != total) return;
        double elapsed = (System.nanoTime() - stageStart) / 1e9;
        err.printf(Locale.ROOT, "%sstep %d/%d (%.0f%%)  %s  ETA %.0f s%n", prefix == null ? "" : prefix + ": ", done, total,
                100.0 * done / total, status, elapsed / done * (total - done));
    }

    @Override
    public Training training(long steps) {
        ProgressReporter reporter = new ProgressReporter(err, 0, steps, null, false);
        return new Training() {
            @Override
            public void onStep(Trainer.StepReport r) {
                reporter.onStep(r);
            }

            @Override
            public void onEval(long step, Evaluator.Result result) {
                reporter.onEval(step, result);
            }

            @Override
            public void close() {
                reporter.close();
            }
        };
    }
}
