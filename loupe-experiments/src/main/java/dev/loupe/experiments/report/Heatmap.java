package dev.loupe.experiments.report;

import java.util.List;
import java.util.Locale;

/**
 * A labelled heatmap as inline SVG (the intervention commands' and the MoE routing reports' pictures) with a colour bar: rows × columns of numbers, a diverging
 * blue–white–red scale symmetric about 0 (so the sign reads at a glance), cell values printed when
 * the grid is small, text light on dark cells.
 *
 * @param title   shown above the grid
 * @param rows    row labels (e.g. "L0", "L1")
 * @param columns column labels (e.g. "H0", or the tokens)
 * @param values  [rows][columns]
 */
public record Heatmap(String title, List<String> rows, List<String> columns, double[][] values) {
    private static final int CELL = 34, LEFT = 60, TOP = 70, BAR = 14;

    /** The SVG element. */
    public String svg() {
        double max = 1e-12;
        for (double[] r : values) for (double v : r) if (Double.isFinite(v)) max = Math.max(max, Math.abs(v));
        int w = Math.max(LEFT + CELL * columns.size() + 90, 9 * title.length() + 10), h = TOP + CELL * rows.size() + 20; // the title fits
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"11\">%n", w, h));
        s.append(String.format(Locale.ROOT, "<text x=\"4\" y=\"16\" font-size=\"14\" font-weight=\"bold\">%s</text>%n", esc(title)));
        for (int j = 0; j < columns.size(); j++) {
            int x = LEFT + j * CELL + CELL / 2;
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" transform=\"rotate(-45 %d %d)\">%s</text>%n",
                    x, TOP - 6, x, TOP - 6, esc(columns.get(j))));
        }
        for (int i = 0; i < rows.size(); i++) {
            int y = TOP + i * CELL;
            s.append(String.format(Locale.ROOT, "<text x=\"4\" y=\"%d\">%s</text>%n", y + CELL / 2 + 4, esc(rows.get(i))));
            for (int j = 0; j < columns.size(); j++) {
                double v = values[i][j];
                double u = Double.isFinite(v) ? v / max : 0;
                s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"><title>%s, %s: %.4f</title></rect>%n",
                        LEFT + j * CELL, y, CELL - 1, CELL - 1, colour(u), esc(rows.get(i)), esc(columns.get(j)), v));
                if (columns.size() <= 40) {
                    s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"9\" fill=\"%s\">%s</text>%n",
                            LEFT + j * CELL + CELL / 2, y + CELL / 2 + 3, Math.abs(u) > 0.55 ? "#fff" : "#222", compact(v)));
                }
            }
        }
        int bx = LEFT + CELL * columns.size() + 16, bh = CELL * rows.size();
        s.append("<defs><linearGradient id=\"cb\" x1=\"0\" y1=\"0\" x2=\"0\" y2=\"1\">")
                .append("<stop offset=\"0\" stop-color=\"").append(colour(1)).append("\"/>")
                .append("<stop offset=\"0.5\" stop-color=\"").append(colour(0)).append("\"/>")
                .append("<stop offset=\"1\" stop-color=\"").append(colour(-1)).append("\"/></linearGradient></defs>\n");
        s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"url(#cb)\" stroke=\"#888\"/>%n", bx, TOP, BAR, bh));
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">%s</text>%n", bx + BAR + 4, TOP + 9, compact(max)));
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">0</text>%n", bx + BAR + 4, TOP + bh / 2 + 4));
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">%s</text>%n", bx + BAR + 4, TOP + bh, compact(-max)));
        return s.append("</svg>\n").toString();
    }

    /** A whole page: a heading, a paragraph, the heatmaps. */
    public static String page(String heading, String note, List<Heatmap> maps) {
        StringBuilder s = new StringBuilder("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>")
                .append(esc(heading)).append("</title></head>\n<body style=\"font-family:sans-serif;margin:2em\">\n<h1>")
                .append(esc(heading)).append("</h1>\n<p>").append(esc(note)).append("</p>\n");
        for (Heatmap m : maps) s.append("<div>").append(m.svg()).append("</div>\n");
        return s.append("</body></html>\n").toString();
    }

    /** u in [−1, 1] → blue (−1), white (0), red (+1). */
    private static String colour(double u) {
        double a = Math.min(1, Math.abs(u));
        int fade = (int) Math.round(255 * (1 - a));
        return u >= 0 ? String.format(Locale.ROOT, "rgb(%d,%d,%d)", 178 + (int) Math.round(77 * (1 - a)), fade, fade)
                : String.format(Locale.ROOT, "rgb(%d,%d,%d)", fade, fade, 178 + (int) Math.round(77 * (1 - a)));
    }

    private static String compact(double v) {
        return Math.abs(v) >= 100 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.2f", v);
    }

    public static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
