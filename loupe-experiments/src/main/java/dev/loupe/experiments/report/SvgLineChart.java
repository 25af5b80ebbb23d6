package dev.loupe.experiments.report;

import java.util.List;
import java.util.Locale;

/** A small self-contained SVG line chart: several named series of (x, y) points on shared axes. */
public final class SvgLineChart {
    private static final String[] COLORS = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd"};

    private SvgLineChart() {}

    /** One named line of (x, y) points. */
    public record Series(String name, List<double[]> points) {}

    /** The chart as self-contained SVG text; x runs from 0 to the largest x of any series, y from {@code yMin} to {@code yMax} (points clamped). */
    public static String svg(String title, String xLabel, String yLabel, List<Series> series, double yMin, double yMax) {
        int w = 560, h = 300, left = 50, right = 150, top = 30, bottom = 40;
        double xMax = 1;
        for (Series s : series) for (double[] p : s.points()) xMax = Math.max(xMax, p[0]);
        int pw = w - left - right, ph = h - top - bottom;
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"11\">%n", w, h));
        b.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"16\" font-size=\"13\" font-weight=\"bold\">%s</text>%n", left, AttentionHeatmap.escape(title)));
        b.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#888\"/>%n", left, top, pw, ph));
        for (int i = 0; i <= 4; i++) {
            double y = yMin + (yMax - yMin) * i / 4;
            int py = top + ph - (int) Math.round(ph * i / 4.0);
            b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%.2f</text>%n", left - 4, py + 4, y));
            b.append(String.format(Locale.ROOT, "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"#eee\"/>%n", left, left + pw, py, py));
            b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%.0f</text>%n",
                    left + (int) Math.round(pw * i / 4.0), top + ph + 14, xMax * i / 4));
        }
        b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>%n", left + pw / 2, h - 6, AttentionHeatmap.escape(xLabel)));
        b.append(String.format(Locale.ROOT, "<text transform=\"translate(12,%d) rotate(-90)\" text-anchor=\"middle\">%s</text>%n", top + ph / 2, AttentionHeatmap.escape(yLabel)));
        for (int k = 0; k < series.size(); k++) {
            Series s = series.get(k);
            String color = COLORS[k % COLORS.length];
            StringBuilder pts = new StringBuilder();
            for (double[] p : s.points()) {
                double y = Math.max(yMin, Math.min(yMax, p[1]));
                pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", left + pw * p[0] / xMax, top + ph - ph * (y - yMin) / (yMax - yMin)));
            }
            b.append(String.format(Locale.ROOT, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" points=\"%s\"/>%n", color, pts.toString().trim()));
            b.append(String.format(Locale.ROOT, "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"3\"/><text x=\"%d\" y=\"%d\">%s</text>%n",
                    left + pw + 10, left + pw + 30, top + 10 + 16 * k, top + 10 + 16 * k, color, left + pw + 34, top + 14 + 16 * k,
                    AttentionHeatmap.escape(s.name())));
        }
        b.append("</svg>\n");
        return b.toString();
    }
}
