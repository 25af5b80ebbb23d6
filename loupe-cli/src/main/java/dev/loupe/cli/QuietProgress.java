package dev.loupe.cli;

import java.io.PrintStream;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Progress lines for work whose length depends on the model: silent while the work is quick, and
 * once it has taken more than two seconds, one line per step on stderr with the elapsed time, e.g.
 * {@code circuits:   3.1 s  head scores of layer 4}. Small models stay quiet; large ones say how far
 * they have got.
 */
public final class QuietProgress implements Consumer<String> {
    private final PrintStream err;
    private final String prefix;
    private final long start = System.nanoTime();

    /** Lines go to {@code err}, each starting with {@code prefix}: the command's name. */
    public QuietProgress(PrintStream err, String prefix) {
        this.err = err;
        this.prefix = prefix;
    }

    @Override
    public void accept(String step) {
        double s = (System.nanoTime() - start) / 1e9;
        if (s > 2) err.printf(Locale.ROOT, "%s: %5.1f s  %s%n", prefix, s, step);
    }
}
