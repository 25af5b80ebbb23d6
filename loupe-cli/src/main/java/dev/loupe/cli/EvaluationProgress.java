package dev.loupe.cli;

import dev.loupe.train.Evaluator;

import java.io.PrintStream;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * How far an evaluation has got, as lines on stderr — "eval: 120/800 windows (15%)  ETA 31 s" — once
 * it has run for two seconds (a small evaluation stays silent), then at most one line per 5% of the
 * windows: the whole validation set of a 124M model takes minutes on two cores.
 */
public final class EvaluationProgress implements Evaluator.Listener {
    private static final long QUIET_NANOS = 2_000_000_000L;

    private final PrintStream err;
    private final String prefix;
    private final LongSupplier clock;
    private final long start;
    private long lastShown = -1;

    /** Lines go to {@code err}, each starting with "{@code prefix}: " (the command's name). */
    public EvaluationProgress(PrintStream err, String prefix) {
        this(err, prefix, System::nanoTime);
    }

    EvaluationProgress(PrintStream err, String prefix, LongSupplier clock) {
        this.err = err;
        this.prefix = prefix;
        this.clock = clock;
        this.start = clock.getAsLong();
    }

    @Override
    public void rows(long done, long total) {
        long elapsed = clock.getAsLong() - start;
        if (elapsed < QUIET_NANOS || total <= 0) return;
        long step = Math.max(1, total / 20);
        if (lastShown >= 0 && done < total && done / step == lastShown / step) return;
        lastShown = done;
        double seconds = elapsed / 1e9;
        err.printf(Locale.ROOT, "%s: %,d/%,d windows (%.0f%%)  ETA %.0f s%n", prefix, done, total, 100.0 * done / total,
                seconds / done * (total - done));
    }
}
