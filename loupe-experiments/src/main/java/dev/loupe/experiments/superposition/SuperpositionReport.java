package dev.loupe.experiments.superposition;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.experiments.report.Png;
import dev.loupe.experiments.report.Report;
import dev.loupe.tensor.io.AtomicFiles;
import dev.loupe.tensor.io.Npy;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes a {@link SuperpositionResult} to a directory: W and b of every model as NumPy {@code .npy}
 * files ({@code models/NAME_W.npy} [m, n], {@code models/NAME_b.npy} [n]), the figures as PNG
 * ({@code weights_FAMILY.png} per sweep, {@code features_represented.png}, {@code feature_dimensionality.png}),
 * {@code report.json} (every model with its measures; paths relative to the directory) and a
 * self-contained {@code report.html} (the figures inline).
 */
public final class SuperpositionReport {
    private SuperpositionReport() {}

    /** Writes everything; returns the findings, in the order of the report. */
    public static List<Report.Finding> write(Path out, SuperpositionResult x) {
        ObjectNode json = new ObjectMapper().createObjectNode();
        json.put("reproduction", "superposition");
        var s = x.settings();
        json.put("steps", s.steps()).put("batch", s.batch()).put("lr", s.optimizer().lr()).put("weight_decay", s.optimizer().weightDecay())
                .put("seed", s.seed()).put("seeds", s.seeds()).put("seconds", x.seconds());
        ArrayNode models = json.putArray("models");
        for (TrainedToyModel t : x.models()) {
            String w = "models/" + t.spec().name() + "_W.npy", b = "models/" + t.spec().name() + "_b.npy";
            Npy.write(out.resolve(w), t.w());
            Npy.write(out.resolve(b), t.b());
            models.add(model(t, w, b));
        }
        Map<String, byte[]> figures = new LinkedHashMap<>();
        for (Superposition.Family f : s.families()) {
            List<TrainedToyModel> lin = firstSeed(x.sweep(f, false), s.seed()), relu = firstSeed(x.sweep(f, true), s.seed());
            if (lin.isEmpty()) continue;
            figures.put("weights_" + f.name() + ".png", png(WeightsFigure.draw(String.format(Locale.ROOT,
                    "n = %d features, m = %d dimensions, importance %s^i", f.n(), f.m(), Superposition.trim(f.importanceDecay())),
                    List.of("linear", "ReLU"), List.of(lin, relu))));
        }
        if (!s.families().isEmpty() && !s.sparsities().isEmpty()) figures.put("features_represented.png", png(DimensionalityChart.featuresRepresented(x)));
        if (!x.uniformSweep().isEmpty()) {
            figures.put("feature_dimensionality.png", png(DimensionalityChart.featureDimensionality(firstSeed(x.uniformSweep(), s.seed()))));
        }
        for (var e : figures.entrySet()) AtomicFiles.writeBytes(out.resolve(e.getKey()), e.getValue());
        List<Report.Finding> findings = SuperpositionFindings.of(x);
        ArrayNode f = json.putArray("findings");
        for (Report.Finding k : findings) f.addObject().put("claim", k.claim()).put("matched", k.matched()).put("evidence", k.evidence());
        AtomicFiles.writeString(out.resolve("report.json"), json.toPrettyString() + "\n");
        AtomicFiles.writeString(out.resolve("report.html"), SuperpositionHtml.page(x, findings, figures));
        return findings;
    }

    private static ObjectNode model(TrainedToyModel t, String w, String b) {
        Superposition.Spec p = t.spec();
        ObjectNode o = new ObjectMapper().createObjectNode();
        o.put("n", p.family().n()).put("m", p.family().m()).put("importance_decay", p.family().importanceDecay())
                .put("sparsity", p.sparsity()).put("seed", p.seed()).put("activation", p.relu() ? "relu" : "linear")
                .put("sweep", p.uniformSweep() ? "uniform_importance" : "decaying_importance")
                .put("features_represented", t.measures().featuresRepresented())
                .put("dimensions_per_feature", t.measures().dimensionsPerFeature()).put("loss", t.loss())
                .put("w_path", w).put("b_path", b);
        array(o.putArray("feature_norms"), t.measures().norms());
        array(o.putArray("superposition"), t.measures().superposition());
        array(o.putArray("feature_dimensionality"), t.measures().dimensionality());
        return o;
    }

    private static void array(ArrayNode a, double[] v) {
        for (double x : v) a.add(x);
    }

    private static List<TrainedToyModel> firstSeed(List<TrainedToyModel> models, long seed) {
        return new ArrayList<>(models.stream().filter(t -> t.spec().seed() == seed).toList());
    }

    static byte[] png(XYChart chart) {
        try {
            return BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] png(BufferedImage img) {
        return Png.bytes(img);
    }
}
