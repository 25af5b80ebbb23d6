package dev.loupe.cli.sae;

import dev.loupe.sae.SaeTrainer;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Progress lines of {@code loupe sae train} on stderr, about 20 per run:
 * {@code step 120/244 (49%)  tokens 491,520  L0 31.2  MSE 0.0123  EV 0.912  dead 3.1%  ETA 1m02s}.
 * The ETA leaves out the first step (JIT compilation and the first buffer fill).
 */
final class SaeProgress {
    private final PrintStream err;
    private final long startStep, steps, every;
    private long afterFirst;

    SaeProgress(PrintStream err, long startStep, long steps) {
        this.err = err;
        this.startStep = startStep;
        this.steps = steps;
        this.every = Math.max(1, (steps - startStep) / 20);
    }

    void step(SaeTrainer.Progress p) {
        if (p.step() == startStep + 1) afterFirst = System.nanoTime();
        boolean first = p.step() == startStep + 1;
        if (!first && (p.step() - startStep) % every != 0 && p.step() != steps) return;
        String eta;
        if (first) eta = "ETA after the next steps";
        else {
            double perStep = (System.nanoTime() - afterFirst) / 1e9 / (p.step() - startStep - 1);
            eta = "ETA " + duration(perStep * (steps - p.step()));
        }
        err.printf(Locale.ROOT, "step %d/%d (%d%%)  tokens %,d  L0 %.1f  MSE %.4g  EV %.3f  dead %.1f%%  %s%n", p.step(), steps,
                100 * p.step() / steps, p.tokens(), p.loss().l0(), p.loss().mse(), p.loss().explainedVariance(),
                100 * p.deadFraction(), eta);
    }

    static String duration(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", s / 3600, s / 60 % 60)
                : s >= 60 ? String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60) : s + "s";
    }
}
