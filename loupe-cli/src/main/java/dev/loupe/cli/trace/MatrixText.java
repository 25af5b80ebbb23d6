package dev.loupe.cli.trace;

import dev.loupe.analysis.trace.TraceTensor;
import dev.loupe.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A matrix as aligned text for a terminal, abbreviated sensibly: at most {@link #MAX_ROWS} rows and
 * {@link #MAX_COLS} columns are printed, the rest elided with ⋮ and … (first ones and last ones kept),
 * rows and columns labelled with tokens or indices.
 */
final class MatrixText {
    static final int MAX_ROWS = 6;
    static final int MAX_COLS = 10;
    private static final int WIDTH = 10;

    private MatrixText() {}

    /** The lines of one labelled matrix (label line first), each starting with {@code indent}. */
    static List<String> render(TraceTensor tt, String indent) {
        Tensor m = tt.value();
        int rows = m.dim(0), cols = m.dim(1);
        boolean integers = allIntegers(m);
        List<Integer> rIdx = pick(rows, MAX_ROWS), cIdx = pick(cols, MAX_COLS);
        int labelWidth = 4;
        for (int r : rIdx) if (r >= 0) labelWidth = Math.max(labelWidth, Math.min(14, rowLabel(tt, r).length()));
        List<String> out = new ArrayList<>();
        long rShown = rIdx.stream().filter(i -> i >= 0).count(), cShown = cIdx.stream().filter(i -> i >= 0).count();
        String elided = rShown < rows || cShown < cols
                ? "  (showing " + rShown + " of " + rows + " rows, " + cShown + " of " + cols + " columns)" : "";
        out.add(indent + tt.label() + "   " + tt.shape() + elided);
        StringBuilder head = new StringBuilder(indent).append(" ".repeat(labelWidth + 1));
        for (int c : cIdx) head.append(c < 0 ? pad("…") : pad(clip(colLabel(tt, c), WIDTH - 1)));
        out.add(head.toString().stripTrailing());
        for (int r : rIdx) {
            StringBuilder line = new StringBuilder(indent);
            if (r < 0) {
                line.append(padRight("⋮", labelWidth + 1));
                for (int c : cIdx) line.append(pad(c < 0 ? "" : "⋮"));
            } else {
                line.append(padRight(clip(rowLabel(tt, r), labelWidth), labelWidth + 1));
                for (int c : cIdx) line.append(c < 0 ? pad("…") : pad(number(m.get(r, c), integers)));
            }
            out.add(line.toString().stripTrailing());
        }
        return out;
    }

    /** Indices to show: all when they fit, else the first ones, −1 for the ellipsis, the last two. */
    static List<Integer> pick(int n, int max) {
        List<Integer> idx = new ArrayList<>();
        if (n <= max) {
            for (int i = 0; i < n; i++) idx.add(i);
            return idx;
        }
        int tail = 2, headCount = max - 1 - tail;
        for (int i = 0; i < headCount; i++) idx.add(i);
        idx.add(-1);
        for (int i = n - tail; i < n; i++) idx.add(i);
        return idx;
    }

    /** A number as printed: −∞ for masked entries, integers plainly, else 4 decimals or scientific. */
    static String number(double x, boolean integer) {
        if (x == Double.NEGATIVE_INFINITY) return "−∞";
        if (x == Double.POSITIVE_INFINITY) return "∞";
        if (Double.isNaN(x)) return "NaN";
        if (integer) return String.valueOf((long) x);
        double a = Math.abs(x);
        if (a != 0 && (a < 1e-3 || a >= 1e4)) return String.format(Locale.ROOT, "%.2e", x);
        return String.format(Locale.ROOT, "%.4f", x);
    }

    private static boolean allIntegers(Tensor m) {
        for (float f : m.contiguous().toArray()) {
            if (Float.isInfinite(f) || f != Math.rint(f) || Math.abs(f) > 1e7) return false;
        }
        return true;
    }

    static String rowLabel(TraceTensor tt, int r) {
        return tt.rowLabels().isEmpty() ? String.valueOf(r) : tt.rowLabels().get(r);
    }

    static String colLabel(TraceTensor tt, int c) {
        return tt.colLabels().isEmpty() ? String.valueOf(c) : tt.colLabels().get(c);
    }

    private static String clip(String s, int n) {
        return s.length() <= n ? s : s.substring(0, n - 1) + "…";
    }

    private static String pad(String s) {
        return " ".repeat(Math.max(1, WIDTH - s.length())) + s;
    }

    private static String padRight(String s, int n) {
        return s + " ".repeat(Math.max(0, n - s.length()));
    }
}
