package dev.loupe.cli.trace;

import dev.loupe.analysis.trace.TraceStep;
import dev.loupe.analysis.trace.TraceTensor;
import dev.loupe.tensor.Tensor;

import java.util.List;
import java.util.Locale;

/**
 * The walkthrough as one self-contained HTML page (no scripts, no network): each step's title,
 * formula, shape and meaning, and every matrix as an inline SVG heatmap with its colour legend.
 * Signed matrices use a diverging scale (blue − · white 0 · red +) symmetric around 0; matrices
 * without negative entries (probabilities, attention patterns) a white → red scale from 0. Masked
 * −∞ entries are grey. Every cell carries its exact value as a tooltip; small matrices also print it.
 */
final class TraceHtml {
    /** Columns drawn per matrix; a vocabulary of 50k is cut here (the page says so). */
    static final int MAX_COLS = 64;
    static final int MAX_ROWS = 64;
    private static final int CELL = 44, SMALL_CELL = 12;

    private TraceHtml() {}

    static String page(String title, List<String> header, List<TraceStep> steps) {
        StringBuilder h = new StringBuilder(64 * 1024);
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>").append(esc(title)).append("</title>\n<style>\n")
                .append("body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}\n")
                .append("h1{font-size:1.5em}h2{font-size:1.15em;margin-top:2.2em;border-bottom:1px solid #ddd;padding-bottom:.2em}\n")
                .append("code,.formula{font-family:ui-monospace,Menlo,Consolas,monospace}.formula{background:#f6f6f6;padding:.4em .6em;display:block;overflow-x:auto}\n")
                .append(".shape{color:#666;font-size:.9em}.m{display:inline-block;vertical-align:top;margin:.6em 1.4em .6em 0}\n")
                .append(".m h3{font-size:.95em;margin:.2em 0;font-weight:600}.note{color:#666;font-size:.85em}pre.header{white-space:pre-wrap;background:#fafafa;padding:.6em}\n")
                .append("svg text{font-family:ui-monospace,Menlo,Consolas,monospace}\n</style></head><body>\n");
        h.append("<h1>").append(esc(title)).append("</h1>\n<pre class=\"header\">");
        for (String line : header) h.append(esc(line)).append('\n');
        h.append("</pre>\n<nav><ol>");
        for (TraceStep s : steps) h.append("<li><a href=\"#s").append(s.number()).append("\">").append(esc(s.title())).append("</a></li>");
        h.append("</ol></nav>\n");
        for (TraceStep s : steps) {
            h.append("<section id=\"s").append(s.number()).append("\"><h2>").append(s.number()).append(". ").append(esc(s.title())).append("</h2>\n");
            h.append("<span class=\"formula\">").append(esc(s.formula())).append("</span>\n");
            h.append("<p class=\"shape\">shape: ").append(esc(s.shape())).append("</p>\n<p>").append(esc(s.meaning())).append("</p>\n");
            for (TraceTensor t : s.values()) h.append(heatmap(t));
            h.append("</section>\n");
        }
        h.append("</body></html>\n");
        return h.toString();
    }

    /** One matrix as an SVG heatmap with row/column labels and a legend. */
    static String heatmap(TraceTensor t) {
        Tensor m = t.value();
        int rows = Math.min(m.dim(0), MAX_ROWS), cols = Math.min(m.dim(1), MAX_COLS);
        double lo = 0, hi = 0;
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                double x = m.get(r, c);
                if (Double.isFinite(x)) {
                    lo = Math.min(lo, x);
                    hi = Math.max(hi, x);
                }
            }
        }
        boolean signed = lo < 0;
        double range = signed ? Math.max(-lo, hi) : hi;
        if (range == 0) range = 1;
        boolean printValues = cols <= 12 && rows <= 16;
        int cell = printValues ? CELL : SMALL_CELL;
        int cellH = printValues ? 22 : SMALL_CELL;
        int labelW = 8 + 7 * Math.min(12, maxLabel(t, rows));
        int top = 8 + 7 * Math.min(10, maxColLabel(t, cols));
        int width = labelW + cols * cell + 10, height = top + rows * cellH + 46;
        StringBuilder s = new StringBuilder();
        s.append("<div class=\"m\"><h3>").append(esc(t.label())).append(" <span class=\"note\">").append(esc(t.shape()))
                .append(" · ").append(esc(t.key())).append("</span></h3>\n");
        if (rows < m.dim(0) || cols < m.dim(1)) {
            s.append("<div class=\"note\">drawn: the first ").append(rows).append(" rows and ").append(cols)
                    .append(" columns</div>\n");
        }
        s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-size=\"11\">\n", width, height));
        for (int c = 0; c < cols; c++) {
            int x = labelW + c * cell + cell / 2;
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" transform=\"rotate(-60 %d %d)\">%s</text>\n",
                    x, top - 4, x, top - 4, esc(clip(MatrixText.colLabel(t, c), 10))));
        }
        for (int r = 0; r < rows; r++) {
            int y = top + r * cellH;
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>\n",
                    labelW - 4, y + cellH / 2 + 4, esc(clip(MatrixText.rowLabel(t, r), 12))));
            for (int c = 0; c < cols; c++) {
                double x = m.get(r, c);
                String fill = Double.isFinite(x) ? colour(x, range, signed) : "#bbbbbb";
                String v = MatrixText.number(x, false);
                s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\" stroke=\"#fff\"><title>%s, %s: %s</title></rect>",
                        labelW + c * cell, y, cell, cellH, fill, esc(MatrixText.rowLabel(t, r)), esc(MatrixText.colLabel(t, c)), v));
                if (printValues) {
                    s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"9\">%s</text>",
                            labelW + c * cell + cell / 2, y + cellH / 2 + 3, esc(shortNumber(x))));
                }
                s.append('\n');
            }
        }
        // legend: a gradient bar from the scale's low end to its high end
        int ly = top + rows * cellH + 12, lw = Math.max(120, Math.min(240, cols * cell));
        String id = "legend-" + t.key().replaceAll("[^A-Za-z0-9_.-]", "_");
        s.append("<defs><linearGradient id=\"").append(id).append("\">");
        for (int i = 0; i <= 10; i++) {
            double x = signed ? -range + 2 * range * i / 10 : range * i / 10;
            s.append(String.format(Locale.ROOT, "<stop offset=\"%d%%\" stop-color=\"%s\"/>", i * 10, colour(x, range, signed)));
        }
        s.append("</linearGradient></defs>\n");
        s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"10\" fill=\"url(#%s)\" stroke=\"#999\"/>\n", labelW, ly, lw, id));
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">%s</text>", labelW, ly + 24, esc(MatrixText.number(signed ? -range : 0, false))));
        if (signed) s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">0</text>", labelW + lw / 2, ly + 24));
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>\n", labelW + lw, ly + 24, esc(MatrixText.number(range, false))));
        s.append("</svg></div>\n");
        return s.toString();
    }

    /** Diverging blue–white–red (signed) or white–red (non-negative) colour of x on a scale of ±range. */
    static String colour(double x, double range, boolean signed) {
        double f = Math.max(-1, Math.min(1, x / range));
        int r, g, b;
        if (f >= 0) {           // white → red (178, 24, 43)
            r = (int) Math.round(255 + f * (178 - 255));
            g = (int) Math.round(255 + f * (24 - 255));
            b = (int) Math.round(255 + f * (43 - 255));
        } else {                // white → blue (33, 102, 172)
            double a = -f;
            r = (int) Math.round(255 + a * (33 - 255));
            g = (int) Math.round(255 + a * (102 - 255));
            b = (int) Math.round(255 + a * (172 - 255));
        }
        return String.format(Locale.ROOT, "#%02x%02x%02x", r, g, b);
    }

    private static String shortNumber(double x) {
        if (!Double.isFinite(x)) return MatrixText.number(x, false);
        if (x == Math.rint(x) && Math.abs(x) < 1e6) return String.valueOf((long) x);
        double a = Math.abs(x);
        if (a >= 100 || a < 0.01) return String.format(Locale.ROOT, "%.1e", x);
        return String.format(Locale.ROOT, "%.2f", x);
    }

    private static int maxLabel(TraceTensor t, int rows) {
        int n = 1;
        for (int r = 0; r < rows; r++) n = Math.max(n, MatrixText.rowLabel(t, r).length());
        return n;
    }

    private static int maxColLabel(TraceTensor t, int cols) {
        int n = 1;
        for (int c = 0; c < cols; c++) n = Math.max(n, MatrixText.colLabel(t, c).length());
        return n;
    }

    private static String clip(String s, int n) {
        return s.length() <= n ? s : s.substring(0, n - 1) + "…";
    }

    static String esc(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }
}
