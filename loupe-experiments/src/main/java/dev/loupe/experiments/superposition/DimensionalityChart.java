package dev.loupe.experiments.superposition;

import org.knowm.xchart.AnnotationLine;
import org.knowm.xchart.AnnotationText;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.awt.Color;
import java.util.ArrayList;
import java.util.List;

/**
 * The paper's feature-dimensionality figure (its Figure "Feature Dimensionality"): every feature's D_i
 * (dots) and the model's D* (line) against 1/(1 − S) on a log axis, with the fractions of its geometric
 * configurations marked — 1 (a dimension of its own), 3/4 (tetrahedron), 2/3 (triangle), 1/2 (antipodal
 * pair), 2/5 (pentagon), 3/8 (square antiprism), 1/3 — and the other charts of the report: features
 * represented against 1/(1 − S) per sweep.
 */
final class DimensionalityChart {
    /** The fractions the paper marks, with their names. */
    static final double[] FRACTIONS = {1, 3.0 / 4, 2.0 / 3, 1.0 / 2, 2.0 / 5, 3.0 / 8, 1.0 / 3};
    static final String[] FRACTION_NAMES = {"1", "3/4", "2/3", "1/2", "2/5", "3/8", "1/3"};

    private DimensionalityChart() {}

    /** D_i of the represented features (‖W_i‖ &gt; 0.5) and D* of every model of the uniform sweep. */
    static XYChart featureDimensionality(List<TrainedToyModel> sweep) {
        Superposition.Family f = sweep.getFirst().spec().family();
        XYChart chart = new XYChartBuilder().width(900).height(560)
                .title("Feature dimensionality D_i, uniform importance, n = " + f.n() + ", m = " + f.m())
                .xAxisTitle("1 / (1 - S)").yAxisTitle("dimensions per feature").build();
        chart.getStyler().setXAxisLogarithmic(true).setYAxisMin(0.0).setYAxisMax(1.1).setChartBackgroundColor(Color.WHITE)
                .setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideNE).setMarkerSize(5);
        List<Double> xs = new ArrayList<>(), ys = new ArrayList<>(), dx = new ArrayList<>(), dy = new ArrayList<>();
        for (TrainedToyModel t : sweep) {
            double x = 1 / (1 - t.spec().sparsity());
            SuperpositionMeasures s = t.measures();
            for (int i = 0; i < s.norms().length; i++) {
                if (s.norms()[i] <= SuperpositionMeasures.REPRESENTED) continue;
                xs.add(x * (1 + 0.04 * ((i % 7) - 3) / 3.0));   // a small horizontal jitter, so stacked dots stay visible
                ys.add(s.dimensionality()[i]);
            }
            dx.add(x);
            dy.add(s.dimensionsPerFeature());
        }
        if (!xs.isEmpty()) {
            XYSeries dots = chart.addSeries("D_i (represented features)", xs, ys);
            dots.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
            dots.setMarkerColor(new Color(31, 119, 180, 110));
        }
        XYSeries star = chart.addSeries("D* = m / ||W||_F^2", dx, dy);
        star.setMarker(SeriesMarkers.NONE);
        star.setLineColor(Color.BLACK);
        double xMax = dx.stream().mapToDouble(Double::doubleValue).max().orElse(10);
        for (int k = 0; k < FRACTIONS.length; k++) {
            AnnotationLine line = new AnnotationLine(FRACTIONS[k], false, false);
            chart.addAnnotation(line);
            chart.addAnnotation(new AnnotationText(FRACTION_NAMES[k], xMax * 1.15, FRACTIONS[k] + 0.02, false));
        }
        return chart;
    }

    /** Features represented (‖W_i‖ &gt; 0.5) against 1/(1 − S) for every sweep of the first kind, linear and ReLU. */
    static XYChart featuresRepresented(SuperpositionResult result) {
        XYChart chart = new XYChartBuilder().width(900).height(500).title("Features represented (||W_i|| > 0.5)")
                .xAxisTitle("1 / (1 - S)").yAxisTitle("features").build();
        chart.getStyler().setXAxisLogarithmic(true).setYAxisMin(0.0).setChartBackgroundColor(Color.WHITE)
                .setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideNW);
        for (Superposition.Family f : result.settings().families()) {
            for (boolean relu : new boolean[] {false, true}) {
                List<Double> x = new ArrayList<>(), y = new ArrayList<>();
                for (TrainedToyModel t : result.sweep(f, relu)) {
                    if (t.spec().seed() != result.settings().seed()) continue;
                    x.add(1 / (1 - t.spec().sparsity()));
                    y.add((double) t.measures().featuresRepresented());
                }
                if (x.isEmpty()) continue;
                chart.addSeries(String.format("n %d, m %d, %s", f.n(), f.m(), relu ? "ReLU" : "linear"), x, y);
            }
            chart.addAnnotation(new AnnotationLine(f.m(), false, false));
        }
        return chart;
    }
}
