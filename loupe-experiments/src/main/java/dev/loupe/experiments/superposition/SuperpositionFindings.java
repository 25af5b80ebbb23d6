package dev.loupe.experiments.superposition;

import dev.loupe.experiments.report.Report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The paper's claims checked against a {@link SuperpositionResult} (first seed of each model). */
final class SuperpositionFindings {
    /** A D_i within this of one of the paper's fractions counts as sitting on it. */
    static final double NEAR = 0.02;

    private SuperpositionFindings() {}

    static List<Report.Finding> of(SuperpositionResult x) {
        List<Report.Finding> out = new ArrayList<>();
        long seed = x.settings().seed();
        StringBuilder linear = new StringBuilder(), dense = new StringBuilder(), sparse = new StringBuilder();
        boolean linearOk = true, denseOk = true, sparseOk = true;
        for (Superposition.Family f : x.settings().families()) {
            List<TrainedToyModel> lin = first(x.sweep(f, false), seed), relu = first(x.sweep(f, true), seed);
            if (lin.isEmpty() || relu.isEmpty()) continue;
            int maxLinear = lin.stream().mapToInt(t -> t.measures().featuresRepresented()).max().orElse(0);
            linearOk &= maxLinear <= f.m();
            append(linear, "n %d, m %d: at most %d", f.n(), f.m(), maxLinear);
            TrainedToyModel d = relu.getFirst(), s = relu.getLast();
            if (d.spec().sparsity() == 0) {
                denseOk &= Math.abs(d.measures().featuresRepresented() - f.m()) <= 1;
                append(dense, "n %d, m %d: %d", f.n(), f.m(), d.measures().featuresRepresented());
            }
            sparseOk &= s.measures().featuresRepresented() > f.m();
            append(sparse, "n %d, m %d at S = %s: %d of %d features in %d dimensions (D* %.3f)", f.n(), f.m(),
                    Superposition.trim(s.spec().sparsity()), s.measures().featuresRepresented(), f.n(), f.m(), s.measures().dimensionsPerFeature());
        }
        if (!linear.isEmpty()) {
            out.add(new Report.Finding("the linear model represents at most m features (the most important ones) at every sparsity",
                    linearOk, "features with ||W_i|| > 0.5: " + linear));
        }
        if (!dense.isEmpty()) {
            out.add(new Report.Finding("with dense features (S = 0) the ReLU model, too, represents about m features (m ± 1)",
                    denseOk, dense.toString()));
        }
        if (!sparse.isEmpty()) {
            out.add(new Report.Finding("as the features grow sparse, the ReLU model represents more features than it has dimensions: superposition",
                    sparseOk, sparse.toString()));
        }
        List<TrainedToyModel> uniform = first(x.uniformSweep(), seed);
        if (uniform.size() >= 2) {
            TrainedToyModel d = uniform.getFirst(), s = uniform.getLast();
            Superposition.Family f = d.spec().family();
            double floor = (double) f.m() / f.n();
            out.add(new Report.Finding("phase change of D* = m/||W||_F^2 in the uniform sweep: about 1 for dense features, down towards m/n when sparse",
                    d.measures().dimensionsPerFeature() > 0.8 && s.measures().dimensionsPerFeature() < 0.5 * (1 + floor),
                    String.format(Locale.ROOT, "D* %.3f at S = %s, %.3f at S = %s (m/n = %.3f)", d.measures().dimensionsPerFeature(),
                            Superposition.trim(d.spec().sparsity()), s.measures().dimensionsPerFeature(),
                            Superposition.trim(s.spec().sparsity()), floor)));
            out.add(sticky(uniform));
        }
        return out;
    }

    /**
     * Among represented features of the models in superposition (D* &lt; 0.9) whose D_i lies in the range of
     * the fractions, [1/3 − {@link #NEAR}, 1 + {@link #NEAR}], the share within {@link #NEAR} of a fraction,
     * against the share the same bands would catch if those D_i were spread evenly over that range.
     */
    private static Report.Finding sticky(List<TrainedToyModel> uniform) {
        int near = 0, total = 0;
        double lo = 1.0 / 3 - NEAR, hi = 1 + NEAR;
        for (TrainedToyModel t : uniform) {
            SuperpositionMeasures s = t.measures();
            if (s.dimensionsPerFeature() >= 0.9) continue;
            for (int i = 0; i < s.norms().length; i++) {
                double d = s.dimensionality()[i];
                if (s.norms()[i] <= SuperpositionMeasures.REPRESENTED || d < lo || d > hi) continue;
                total++;
                for (double q : DimensionalityChart.FRACTIONS) {
                    if (Math.abs(d - q) <= NEAR) {
                        near++;
                        break;
                    }
                }
            }
        }
        double bands = 0;   // the length of [lo, hi] within NEAR of a fraction (3/8 and 1/3 bands overlap)
        for (double x = lo; x < hi; x += 1e-4) {
            for (double q : DimensionalityChart.FRACTIONS) {
                if (Math.abs(x - q) <= NEAR) {
                    bands += 1e-4;
                    break;
                }
            }
        }
        double even = bands / (hi - lo), share = total == 0 ? 0 : (double) near / total;
        return new Report.Finding("feature dimensionalities stick at the fractions of the paper's geometry (1, 3/4, 2/3, 1/2, 2/5, 3/8, 1/3)",
                total > 0 && share > even + 0.15, String.format(Locale.ROOT, "of the represented features of the models in "
                        + "superposition whose D_i lies between 1/3 and 1, %d of %d (%.0f%%) are within %.2f of a fraction; values "
                        + "spread evenly over that range would give %.0f%%", near, total, 100 * share, NEAR, 100 * even));
    }

    private static List<TrainedToyModel> first(List<TrainedToyModel> models, long seed) {
        return models.stream().filter(t -> t.spec().seed() == seed).toList();
    }

    private static void append(StringBuilder sb, String format, Object... args) {
        sb.append(sb.isEmpty() ? "" : "; ").append(String.format(Locale.ROOT, format, args));
    }
}
