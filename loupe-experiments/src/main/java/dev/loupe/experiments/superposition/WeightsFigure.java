package dev.loupe.experiments.superposition;

import dev.loupe.experiments.report.Png;
import dev.loupe.tensor.Tensor;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.util.List;
import java.util.Locale;

/**
 * The paper's picture of one sweep (its Figures 3 and 4): a column per sparsity, a row per model kind
 * (linear control, ReLU). Each cell shows WᵀW [n, n] as a heatmap (blue −1 … white 0 … red +1) with b
 * [n] as a strip beside it, and below them ‖W_i‖ as one bar per feature, coloured by its superposition
 * Σ_{j≠i}(Ŵ_i·W_j)² from black (0: a dimension of its own) to yellow (≥ 1). Drawn with java.awt.
 */
final class WeightsFigure {
    private static final int PAD = 12, LABEL = 70, TITLE = 44;

    private WeightsFigure() {}

    /** rows.get(r).get(c): the model of row r (e.g. linear, ReLU) at sparsity column c. */
    static BufferedImage draw(String title, List<String> rowNames, List<List<TrainedToyModel>> rows) {
        int n = rows.getFirst().getFirst().w().shape()[1];
        int cellPx = Math.max(2, 160 / n), map = cellPx * n;
        int barH = Math.max(3, Math.min(8, 200 / n)), bars = barH * n;
        int cellW = map + 3 * cellPx + 20 + PAD, cellH = 18 + map + 8 + bars + PAD;
        int cols = rows.getFirst().size();
        int w = LABEL + cols * cellW + PAD, h = TITLE + rows.size() * cellH + 40;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = Png.canvas(img);
        try {
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
            g.drawString(title, PAD, 18);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
            g.drawString("W^T W (blue -1, white 0, red +1) and b beside it; below: ||W_i|| per feature (grey tick: 1.0), "
                    + "colour = superposition sum_{j!=i} (W^_i . W_j)^2 from black 0 to yellow >= 1", PAD, 34);
            for (int r = 0; r < rows.size(); r++) {
                int y0 = TITLE + r * cellH;
                g.setColor(Color.BLACK);
                g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 12));
                g.drawString(rowNames.get(r), 6, y0 + 18 + map / 2);
                g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
                for (int c = 0; c < cols; c++) {
                    TrainedToyModel t = rows.get(r).get(c);
                    int x0 = LABEL + c * cellW;
                    g.setColor(Color.BLACK);
                    g.drawString(String.format(Locale.ROOT, "1-S = %s", Superposition.trim(1 - t.spec().sparsity())), x0, y0 + 12);
                    cell(g, t, x0, y0 + 18, cellPx, barH);
                }
            }
        } finally {
            g.dispose();
        }
        return img;
    }

    private static void cell(Graphics2D g, TrainedToyModel t, int x0, int y0, int px, int barH) {
        Tensor w = t.w();
        int m = w.shape()[0], n = w.shape()[1];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double d = 0;
                for (int r = 0; r < m; r++) d += (double) w.get(r, i) * w.get(r, j);
                g.setColor(diverging(d));
                g.fillRect(x0 + j * px, y0 + i * px, px, px);
            }
            g.setColor(diverging(t.b().get(i)));
            g.fillRect(x0 + n * px + px, y0 + i * px, 2 * px, px);
        }
        g.setColor(Color.GRAY);
        g.drawRect(x0, y0, n * px, n * px);
        g.drawRect(x0 + n * px + px, y0, 2 * px, n * px);
        int by = y0 + n * px + 8, full = n * px;   // a bar of full width is ‖W_i‖ = 1.25
        SuperpositionMeasures s = t.measures();
        for (int i = 0; i < n; i++) {
            g.setColor(sequential(s.superposition()[i]));
            g.fillRect(x0, by + i * barH, (int) Math.round(Math.min(1.25, s.norms()[i]) / 1.25 * full), Math.max(1, barH - 1));
        }
        g.setColor(Color.GRAY);
        int one = (int) Math.round(full / 1.25);
        g.drawLine(x0 + one, by, x0 + one, by + n * barH);
    }

    /** −1 blue, 0 white, +1 red (clamped). */
    static Color diverging(double v) {
        float x = (float) Math.max(-1, Math.min(1, v));
        return x >= 0 ? new Color(1f, 1 - x, 1 - x) : new Color(1 + x, 1 + x, 1f);
    }

    /** 0 black, 1 and above yellow. */
    static Color sequential(double v) {
        float x = (float) Math.max(0, Math.min(1, v));
        return new Color(0.15f + 0.85f * x, 0.15f + 0.75f * x, 0.15f * (1 - x));
    }
}
