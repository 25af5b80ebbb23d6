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
 * lines "step 3/40  status  ETA 12 s".
 */
public final class ProgressLines implements Progress {
    private final PrintStream err;
    private final String prefix;
    private QuietProgress details;
    private long loopStart;

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
    }

    @Override
    public void detail(String message) {
        details.accept(message);
    }

    @Override
    public void step(long done, long total, String status) {
        if (done <= 1) loopStart = System.nanoTime();
        long every = Math.max(1, total / 20);
        if (done % every != 0 && done != total) return;
        double elapsed = (System.nanoTime() - loopStart) / 1e9;
        double eta = done <= 1 ? Double.NaN : elapsed / (done - 1) * (total - done);
        err.printf(Locale.ROOT, "%sstep %d/%d  %s%s%n", prefix == null ? "" : prefix + ": ", done, total, status,
                Double.isNaN(eta) ? "" : String.format(Locale.ROOT, "  ETA %.0f s", eta));
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
