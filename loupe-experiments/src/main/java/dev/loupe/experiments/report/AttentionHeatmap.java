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

    /**
     * Self-contained SVG (no external fonts or scripts). The cells are one embedded PNG of T × T
     * pixels scaled up without smoothing, not one element per cell: 8 heads × 32 tokens took 900 KB
     * as per-cell rects with tooltips and take under 130 KB so (a random pattern; real ones compress better). Each query row has a tooltip naming
     * the keys it attends to most; a colour bar gives the scale.
     */
    public String svg() {
        int n = size(), w = LABEL + n * CELL + 10 + BAR, h = TOP + n * CELL + 10;
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
        s.append(String.format(Locale.ROOT, "<image x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" preserveAspectRatio=\"none\" "
                + "image-rendering=\"optimizeSpeed\" style=\"image-rendering:pixelated\" href=\"%s\"/>%n",
                LABEL, TOP, n * CELL, n * CELL, Png.dataUri(Png.bytes(cells()))));
        for (int q = 0; q < n; q++) {
            int y = TOP + q * CELL;
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>%n", LABEL - 4, y + CELL - 4,
                    escape(shorten(tokens.get(q)))));
            s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill-opacity=\"0\"><title>%s</title></rect>%n",
                    LABEL, y, n * CELL, CELL, escape(rowTooltip(q))));
        }
        s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#888\"/>%n",
                LABEL, TOP, n * CELL, n * CELL));
        colourBar(s, LABEL + n * CELL + 12, TOP, Math.min(n * CELL, 200), gradientId());
        s.append(String.format(Locale.ROOT, "<text x=\"4\" y=\"%d\" fill=\"#555\">rows: query (attending) · columns: key (attended to)</text>%n", h + 14));
        s.append("</svg>\n");
        return s.toString();
    }

    /** Room to the right of the cells for the colour bar and its labels. */
    private static final int BAR = 44;

    /**
     * The colour bar's gradient id, unique to this heatmap's content: a report inlines many of these
     * SVGs into one HTML page, where ids must not repeat; derived from the content, so the same
     * report is the same bytes run after run.
     */
    private String gradientId() {
        int h = java.util.Objects.hash(title, tokens, java.util.Arrays.deepHashCode(weights));
        return "attention-scale-" + Integer.toHexString(h);
    }

    /** A vertical colour bar, weight 1 at the top and 0 at the bottom, at (x, y), {@code height} tall. */
    private static void colourBar(StringBuilder s, int x, int y, int height, String id) {
        int[] lo = rgb(0), hi = rgb(1);
        s.append(String.format(Locale.ROOT, "<defs><linearGradient id=\"%s\" x1=\"0\" y1=\"1\" x2=\"0\" y2=\"0\">"
                + "<stop offset=\"0\" stop-color=\"rgb(%d,%d,%d)\"/><stop offset=\"1\" stop-color=\"rgb(%d,%d,%d)\"/></linearGradient></defs>%n",
                id, lo[0], lo[1], lo[2], hi[0], hi[1], hi[2]));
        s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"%d\" fill=\"url(#%s)\" stroke=\"#888\"/>%n", x, y, height, id));
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">1</text><text x=\"%d\" y=\"%d\">0</text>%n", x + 14, y + 9, x + 14, y + height));
    }

    /** The cells as a T × T image, one pixel per (query, key), shaded as in {@link #image()}. */
    private BufferedImage cells() {
        int n = size();
        BufferedImage img = new BufferedImage(n, n, BufferedImage.TYPE_INT_RGB);
        for (int q = 0; q < n; q++) {
            for (int k = 0; k < n; k++) {
                int[] c = rgb(weights[q][k]);
                img.setRGB(k, q, (c[0] << 16) | (c[1] << 8) | c[2]);
            }
        }
        return img;
    }

    /** Row q's tooltip: the (up to) three keys it attends to most, e.g. "a → b: 0.912 (key 1); …". */
    private String rowTooltip(int q) {
        Integer[] keys = new Integer[size()];
        for (int k = 0; k < keys.length; k++) keys[k] = k;
        java.util.Arrays.sort(keys, (x, y) -> Float.compare(weights[q][y], weights[q][x]));
        StringBuilder t = new StringBuilder("query " + q + ": ");
        for (int i = 0; i < Math.min(3, keys.length); i++) {
            if (i > 0) t.append("; ");
            t.append(String.format(Locale.ROOT, "%s → %s: %.3f (key %d)", tokens.get(q), tokens.get(keys[i]), weights[q][keys[i]], keys[i]));
        }
        return t.toString();
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
