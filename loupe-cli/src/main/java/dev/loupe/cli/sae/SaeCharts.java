package dev.loupe.cli.sae;

import dev.loupe.sae.SaeTrainer;
import dev.loupe.tensor.io.AtomicFiles;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The pictures of SAE training and evaluation, as PNG files written atomically. */
final class SaeCharts {
    static final String TRAINING_PNG = "training.png";
    static final String DENSITY_PNG = "feature_density.png";

    private SaeCharts() {}

    /** Loss and L0 per step (two y axes) as {@code training.png} in {@code dir}. */
    static void training(List<SaeTrainer.Point> history, Path dir) {
        if (history.isEmpty()) return;
        XYChart chart = new XYChartBuilder().width(900).height(500).title("SAE training").xAxisTitle("step")
                .yAxisTitle("loss (MSE + sparsity)").build();
        chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
        chart.getStyler().setYAxisGroupPosition(1, Styler.YAxisPosition.Right);
        int n = history.size();
        double[] x = new double[n], loss = new double[n], l0 = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = history.get(i).step();
            loss[i] = history.get(i).loss();
            l0[i] = history.get(i).l0();
        }
        chart.addSeries("loss", x, loss).setMarker(SeriesMarkers.NONE);
        var s = chart.addSeries("L0 (active latents per token)", x, l0);
        s.setMarker(SeriesMarkers.NONE);
        s.setYAxisGroup(1);
        chart.setYAxisGroupTitle(1, "L0");
        AtomicFiles.write(dir.resolve(TRAINING_PNG), out -> BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG));
    }

    /** Histogram of log10(feature density + 1e-10) as {@code feature_density.png}; dead features fall in the leftmost bar. */
    static void density(float[] density, String title, Path dir) {
        int bins = 40;
        double lo = -10, hi = 0, w = (hi - lo) / bins;
        double[] counts = new double[bins];
        for (float d : density) {
            double v = Math.log10(d + 1e-10);
            int b = (int) Math.floor((v - lo) / w);
            counts[Math.max(0, Math.min(bins - 1, b))]++;
        }
        List<String> labels = new ArrayList<>();
        List<Double> ys = new ArrayList<>();
        for (int b = 0; b < bins; b++) {
            labels.add(String.format(Locale.ROOT, "%.2f", lo + (b + 0.5) * w));
            ys.add(counts[b]);
        }
        CategoryChart chart = new CategoryChartBuilder().width(900).height(450).title(title)
                .xAxisTitle("log10(feature density)").yAxisTitle("features").build();
        chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
        chart.getStyler().setLegendVisible(false);
        chart.getStyler().setXAxisLabelRotation(90);
        chart.getStyler().setAvailableSpaceFill(0.95);
        chart.addSeries("features", labels, ys);
        AtomicFiles.write(dir.resolve(DENSITY_PNG), out -> BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG));
    }
}
