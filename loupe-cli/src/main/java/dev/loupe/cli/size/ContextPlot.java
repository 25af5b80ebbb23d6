package dev.loupe.cli.size;

import dev.loupe.LoupeException;
import dev.loupe.analysis.napkin.Architecture;
import dev.loupe.analysis.napkin.ContextCost;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** Draws KV-cache size (linear in n) and attention FLOPs per sequence (quadratic in n) against context length. */
final class ContextPlot {
    private ContextPlot() {}

    static void write(Path file, Architecture a, List<ContextCost> rows) throws IOException {
        String name = file.getFileName().toString().toLowerCase();
        if (!name.endsWith(".png")) throw new LoupeException("--plot " + file + ": only .png is supported");
        double[] n = rows.stream().mapToDouble(ContextCost::context).toArray();
        double[] kv = rows.stream().mapToDouble(c -> c.kvCacheBytes() / (1 << 30)).toArray();
        double[] fl = rows.stream().mapToDouble(c -> c.attentionFlopsPerSequence() / 1e12).toArray();
        XYChart chart = new XYChartBuilder().width(900).height(520)
                .title(a.name() + ": cost of context (one sequence)").xAxisTitle("context length n (tokens)").build();
        chart.getStyler().setXAxisLogarithmic(true).setYAxisLogarithmic(true).setLegendPosition(Styler.LegendPosition.InsideNW)
                .setMarkerSize(6).setChartBackgroundColor(java.awt.Color.WHITE);
        XYSeries s1 = chart.addSeries("KV cache, GiB at 16-bit (∝ n)", n, kv);
        XYSeries s2 = chart.addSeries("attention, TFLOP per sequence (∝ n²)", n, fl);
        s1.setYAxisGroup(0);
        s2.setYAxisGroup(0);
        chart.setYAxisTitle("GiB  /  TFLOP (log scale)");
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) java.nio.file.Files.createDirectories(parent);
        BitmapEncoder.saveBitmap(chart, file.toString().replaceAll("(?i)\\.png$", ""), BitmapEncoder.BitmapFormat.PNG);
    }
}
