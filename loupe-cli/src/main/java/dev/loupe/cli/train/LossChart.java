package dev.loupe.cli.train;

import dev.loupe.tensor.io.AtomicFiles;
import dev.loupe.train.TrainingHistory;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.nio.file.Path;
import java.util.List;

/** The loss curve of a run (training loss per step and validation loss) as {@code loss.png} and {@code loss.svg}. */
public final class LossChart {
    public static final String PNG = "loss.png";
    static final String SVG = "loss.svg";

    private LossChart() {}

    /** Draws the curve into {@code dir}, each file replaced atomically. */
    public static void write(TrainingHistory history, Path dir) {
        if (history.steps().isEmpty()) return;
        XYChart chart = new XYChartBuilder().width(900).height(500).title("Training loss")
                .xAxisTitle("step").yAxisTitle("cross-entropy (nats)").build();
        chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
        chart.getStyler().setMarkerSize(4);
        List<TrainingHistory.StepPoint> steps = history.steps();
        double[] x = new double[steps.size()], y = new double[steps.size()];
        for (int i = 0; i < steps.size(); i++) {
            x[i] = steps.get(i).step();
            y[i] = steps.get(i).loss();
        }
        XYSeries train = chart.addSeries("train", x, y);
        train.setMarker(SeriesMarkers.NONE);
        if (!history.evals().isEmpty()) {
            List<TrainingHistory.EvalPoint> evals = history.evals();
            double[] ex = new double[evals.size()], ey = new double[evals.size()];
            for (int i = 0; i < evals.size(); i++) {
                ex[i] = evals.get(i).step();
                ey[i] = evals.get(i).loss();
            }
            chart.addSeries("validation", ex, ey).setMarker(SeriesMarkers.CIRCLE);
        }
        AtomicFiles.write(dir.resolve(PNG), out -> BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG));
        AtomicFiles.write(dir.resolve(SVG),
                out -> VectorGraphicsEncoder.saveVectorGraphic(chart, out, VectorGraphicsEncoder.VectorGraphicsFormat.SVG));
    }
}
