package dev.loupe.experiments.grokking;

import dev.loupe.tensor.io.AtomicFiles;
import org.knowm.xchart.AnnotationLine;
import org.knowm.xchart.AnnotationText;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToDoubleFunction;

/** The PNG pictures of a grokking run (curves with the three phases marked, the spectrum, heatmaps over (a, b)). */
final class GrokkingCharts {
    private GrokkingCharts() {}

    /** A curve chart over the checkpoints: one series per (name, measure); log-scale y when asked; phase boundaries marked. */
    @SafeVarargs
    static void curves(Path file, String title, String yTitle, boolean logY, GrokkingResult r, List<String> names,
                       ToDoubleFunction<ProgressMeasures>... measures) {
        XYChart chart = new XYChartBuilder().width(900).height(480).title(title).xAxisTitle("step").yAxisTitle(yTitle).build();
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setYAxisLogarithmic(logY);
        chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideNE);
        List<ProgressMeasures> ms = r.checkpoints();
        double[] x = new double[ms.size()];
        for (int i = 0; i < x.length; i++) x[i] = ms.get(i).step();
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (int s = 0; s < measures.length; s++) {
            double[] y = new double[x.length];
            for (int i = 0; i < y.length; i++) {
                y[i] = measures[s].applyAsDouble(ms.get(i));
                if (logY) y[i] = Math.max(y[i], 1e-9);           // a log axis cannot show 0
                lo = Math.min(lo, y[i]);
                hi = Math.max(hi, y[i]);
            }
            chart.addSeries(names.get(s), x, y).setMarker(SeriesMarkers.NONE);
        }
        markPhases(chart, r, lo, hi, logY);
        save(chart, file);
    }

    /**
     * Vertical lines at the ends of memorisation and circuit formation and at grokking, each labelled
     * at its own height (so that close lines do not print over each other).
     */
    private static void markPhases(XYChart chart, GrokkingResult r, double lo, double hi, boolean logY) {
        int[] at = {r.memorisationStep(), r.cleanupStartStep(), r.grokkingStep()};
        String[] label = {"← memorisation | circuit formation →", "clean-up →", "test accuracy ≥ 0.99"};
        double[] height = {0.92, 0.8, 0.68};                       // share of the y range, from the bottom
        for (int i = 0; i < at.length; i++) {
            if (at[i] < 0) continue;
            double y = logY ? Math.exp(Math.log(lo) + height[i] * (Math.log(hi) - Math.log(lo))) : lo + height[i] * (hi - lo);
            chart.addAnnotation(new AnnotationLine(at[i], true, false));
            chart.addAnnotation(new AnnotationText(label[i], at[i], y, false));
        }
    }

    /** ‖W_E‖ per frequency as bars, key frequencies in their own colour. */
    static void spectrum(Path file, GrokkingResult r) {
        double[] norms = r.embeddingSpectrum();
        List<Integer> ks = new ArrayList<>();
        List<Double> key = new ArrayList<>(), other = new ArrayList<>();
        java.util.Set<Integer> keys = new java.util.HashSet<>();
        for (int k : r.keys().keys()) keys.add(k);
        for (int k = 1; k <= norms.length; k++) {
            ks.add(k);
            key.add(keys.contains(k) ? norms[k - 1] : 0.0);
            other.add(keys.contains(k) ? 0.0 : norms[k - 1]);
        }
        CategoryChart chart = new CategoryChartBuilder().width(1000).height(420)
                .title("W_E in the Fourier basis: norm per frequency k (key frequencies highlighted)")
                .xAxisTitle("frequency k").yAxisTitle("‖W_E‖ in cos_k, sin_k").build();
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setOverlapped(true);
        chart.getStyler().setXAxisLabelRotation(90);
        chart.addSeries("other", ks, other).setFillColor(new Color(150, 150, 150));
        chart.addSeries("key", ks, key).setFillColor(new Color(200, 40, 40));
        save(chart, file);
    }

    /**
     * Heatmaps of {@code grids} [n][p·p] over (a, b) (row a, column b), side by side, each scaled to its
     * own range: blue (low) → white → red (high) when it has both signs, white → dark otherwise.
     */
    static void heatmaps(Path file, String title, List<String> names, float[][] grids, int p) {
        int cell = Math.max(2, 400 / p), side = cell * p, pad = 30, top = 50;
        Font titleFont = new Font(Font.SANS_SERIF, Font.BOLD, 15);
        BufferedImage probe = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        int titleWidth = probe.createGraphics().getFontMetrics(titleFont).stringWidth(title);
        int w = Math.max(pad + grids.length * (side + pad), 2 * pad + titleWidth), h = top + side + 40;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        g.setColor(Color.BLACK);
        g.setFont(titleFont);
        g.drawString(title, pad, 22);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        for (int m = 0; m < grids.length; m++) {
            float lo = Float.POSITIVE_INFINITY, hi = Float.NEGATIVE_INFINITY;
            for (float v : grids[m]) {
                lo = Math.min(lo, v);
                hi = Math.max(hi, v);
            }
            int x0 = pad + m * (side + pad);
            for (int a = 0; a < p; a++)
                for (int b = 0; b < p; b++) {
                    g.setColor(colour(grids[m][a * p + b], lo, hi));
                    g.fillRect(x0 + b * cell, top + a * cell, cell, cell);
                }
            g.setColor(Color.BLACK);
            g.drawString(names.get(m), x0, top - 6);
            g.drawString(String.format(java.util.Locale.ROOT, "a ↓  b →   range %.3g … %.3g", lo, hi), x0, top + side + 16);
        }
        g.dispose();
        AtomicFiles.write(file, out -> ImageIO.write(img, "png", out));
    }

    private static Color colour(float v, float lo, float hi) {
        if (lo < 0 && hi > 0) {                                  // diverging around 0
            float m = Math.max(-lo, hi), t = v / m;
            int c = (int) (255 * (1 - Math.abs(t)));
            return t >= 0 ? new Color(255, c, c) : new Color(c, c, 255);
        }
        float t = hi > lo ? (v - lo) / (hi - lo) : 0;
        int c = (int) (255 * (1 - t));
        return new Color(c, c, (int) (255 - 155 * t));
    }

    private static void save(org.knowm.xchart.internal.chartpart.Chart<?, ?> chart, Path file) {
        AtomicFiles.write(file, out -> BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG));
    }
}
