package dev.loupe.experiments.report;

import dev.loupe.tensor.Tensor;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.util.List;
import java.util.Locale;

/**
 * One head's attention pattern as a heatmap: queries down the left (the token attending), keys
 * along the top (the token attended to), each cell shaded by its weight from white (0) to dark blue
 * (1). Drawn as SVG text or as a PNG image (java.awt, no display needed).
 *
 * @param title   caption, e.g. "layer 1, head 3"
 * @param tokens  the T tokens as text, one per position
 * @param weights [T][T] pattern[query][key], rows summing to 1 (causal: zero above the diagonal)
 */
public record AttentionHeatmap(String title, List<String> tokens, float[][] weights) {
    private static final int CELL = 16, LABEL = 90, TOP = 110;

    public AttentionHeatmap {
        if (weights.length != tokens.size()) {
            throw new IllegalArgumentException(tokens.size() + " tokens but " + weights.length + " pattern rows");
        }
    }

    /** Head {@code h} of a pattern [B, H, T, T] (batch row 0, the first T = tokens.size() positions) as a heatmap. */
    public static AttentionHeatmap of(String title, List<String> tokens, Tensor pattern, int h) {
        int t = tokens.size();
        float[][] w = new float[t][t];
        for (int q = 0; q < t; q++) for (int k = 0; k <= q; k++) w[q][k] = pattern.get(0, h, q, k);
        return new AttentionHeatmap(title, tokens, w);
    }

    private int size() { return tokens.size(); }

    /** Shade of weight w ∈ [0, 1]: white to (8, 48, 107). */
    private static int[] rgb(float w) {
        float x = Math.max(0f, Math.min(1f, w));
        return new int[] {Math.round(255 - x * 247), Math.round(255 - x * 207), Math.round(255 - x * 148)};
    }

    /** Self-contained SVG (no external fonts or scripts); every cell has a tooltip with its weight. */
    public String svg() {
        int n = size(), w = LABEL + n * CELL + 10, h = TOP + n * CELL + 10;
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"monospace\" font-size=\"11\">%n",
                w, h + 20, w, h + 20));
        s.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        s.append(String.format(Locale.ROOT, "<text x=\"4\" y=\"14\" font-size=\"13\" font-weight=\"bold\">%s</text>%n", escape(title)));
        for (int k = 0; k < n; k++) { // key labels, rotated, along the top
            int x = LABEL + k * CELL + CELL / 2 + 4;
            s.append(String.format(Locale.ROOT, "<text transform=\"translate(%d,%d) rotate(-90)\">%s</text>%n", x, TOP - 4,
                    escape(shorten(tokens.get(k)))));
        }
        for (int q = 0; q < n; q++) {
            int y = TOP + q * CELL;
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>%n", LABEL - 4, y + CELL - 4,
                    escape(shorten(tokens.get(q)))));
            for (int k = 0; k < n; k++) {
                int[] c = rgb(weights[q][k]);
                s.append(String.format(Locale.ROOT,
                        "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"rgb(%d,%d,%d)\"><title>%s → %s: %.3f</title></rect>%n",
                        LABEL + k * CELL, y, CELL, CELL, c[0], c[1], c[2], escape(tokens.get(q)), escape(tokens.get(k)), weights[q][k]));
            }
        }
        s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#888\"/>%n",
                LABEL, TOP, n * CELL, n * CELL));
        s.append(String.format(Locale.ROOT, "<text x=\"4\" y=\"%d\" fill=\"#555\">rows: query (attending) · columns: key (attended to)</text>%n", h + 14));
        s.append("</svg>\n");
        return s.toString();
    }

    /** The heatmap as an RGB image. */
    public BufferedImage image() {
        int n = size(), w = LABEL + n * CELL + 10, h = TOP + n * CELL + 30;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = Png.canvas(img);
        try {
            g.setFont(new Font(Font.MONOSPACED, Font.BOLD, 13));
            g.drawString(title, 4, 14);
            g.setFont(new Font(Font.MONOSPACED, Font.PLAIN, 11));
            for (int q = 0; q < n; q++) {
                String label = shorten(tokens.get(q));
                g.setColor(Color.BLACK);
                g.drawString(label, LABEL - 4 - g.getFontMetrics().stringWidth(label), TOP + q * CELL + CELL - 4);
                for (int k = 0; k < n; k++) {
                    int[] c = rgb(weights[q][k]);
                    g.setColor(new Color(c[0], c[1], c[2]));
                    g.fillRect(LABEL + k * CELL, TOP + q * CELL, CELL, CELL);
                }
            }
            AffineTransform saved = g.getTransform();
            g.setColor(Color.BLACK);
            for (int k = 0; k < n; k++) {
                g.setTransform(saved);
                g.translate(LABEL + k * CELL + CELL / 2 + 4, TOP - 4);
                g.rotate(-Math.PI / 2);
                g.drawString(shorten(tokens.get(k)), 0, 0);
            }
            g.setTransform(saved);
            g.setColor(Color.GRAY);
            g.setStroke(new BasicStroke(1));
            g.drawRect(LABEL, TOP, n * CELL, n * CELL);
            g.setColor(Color.DARK_GRAY);
            g.drawString("rows: query (attending) · columns: key (attended to)", 4, TOP + n * CELL + 22);
        } finally {
            g.dispose();
        }
        return img;
    }

    /** PNG bytes of {@link #image()}. */
    public byte[] png() {
        return Png.bytes(image());
    }

    /** A data: URI of the PNG, to embed in a self-contained HTML page. */
    public String pngDataUri() {
        return Png.dataUri(png());
    }

    /** One self-contained HTML page (no network access needed) showing {@code maps}, each as inline SVG. */
    public static String html(String title, String intro, List<AttentionHeatmap> maps) {
        StringBuilder s = new StringBuilder();
        s.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").append(escape(title))
                .append("</title>\n<style>body{font-family:sans-serif;margin:2em;max-width:100em}"
                        + "figure{display:inline-block;margin:0 1em 1em 0;vertical-align:top}</style></head><body>\n");
        s.append("<h1>").append(escape(title)).append("</h1>\n<p>").append(escape(intro)).append("</p>\n");
        for (AttentionHeatmap m : maps) s.append("<figure>").append(m.svg()).append("</figure>\n");
        s.append("</body></html>\n");
        return s.toString();
    }

    /** Token text for a label: control characters and spaces made visible, long tokens cut. */
    static String shorten(String token) {
        String t = token.replace(" ", "·").replace("\n", "\\n").replace("\t", "\\t");
        return t.length() > 12 ? t.substring(0, 11) + "…" : t;
    }

    /** XML/HTML text escaping. */
    public static String escape(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                default -> b.append(c < 0x20 ? ' ' : c);
            }
        }
        return b.toString();
    }
}
