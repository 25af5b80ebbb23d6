package dev.loupe.analysis.stats;

import java.io.Serializable;

/**
 * Fixed histogram bins, the same for every partition so that histograms merge by adding counts:
 * {@code bins} equal-width bins over [lo, hi), plus an underflow bin (values below lo) first and an
 * overflow bin (values at or above hi) last, {@code bins + 2} counts in all.
 */
public record Binning(double lo, double hi, int bins) implements Serializable {
    public Binning {
        if (!(hi > lo) || bins < 1) throw new IllegalArgumentException("histogram needs lo < hi and bins >= 1, got [" + lo + ", " + hi + ") x " + bins);
    }

    /** The default: 40 bins over [-10, 10). */
    public static Binning standard() {
        return new Binning(-10, 10, 40);
    }

    /** Index in [0, bins + 2) of the count that {@code v} adds to. */
    public int index(float v) {
        if (v < lo) return 0;
        if (v >= hi) return bins + 1;
        int b = (int) ((v - lo) / (hi - lo) * bins);
        return 1 + Math.min(b, bins - 1);
    }

    /** The lower edge of regular bin {@code b} in [0, bins]; {@code edge(bins)} = hi. */
    public double edge(int b) {
        return lo + (hi - lo) * b / bins;
    }
}
