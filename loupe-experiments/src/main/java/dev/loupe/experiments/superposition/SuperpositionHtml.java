package dev.loupe.experiments.superposition;

import dev.loupe.experiments.report.Png;
import dev.loupe.experiments.report.Report;

import java.util.List;
import java.util.Locale;
import java.util.Map;

import static dev.loupe.experiments.report.AttentionHeatmap.escape;

/** The superposition report as one self-contained HTML page: findings, the figures inline, a table of every model. */
final class SuperpositionHtml {
    private SuperpositionHtml() {}

    static String page(SuperpositionResult x, List<Report.Finding> findings, Map<String, byte[]> figures) {
        var s = x.settings();
        StringBuilder b = new StringBuilder();
        b.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Reproduction: toy models of superposition</title>\n"
                + "<style>body{font-family:sans-serif;margin:2em;max-width:80em;line-height:1.4}table{border-collapse:collapse}"
                + "td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}th{background:#f4f4f4}img{max-width:100%}"
                + ".no{color:#b00}.yes{color:#070}code{background:#f4f4f4}</style></head><body>\n");
        b.append("<h1>Reproduction: toy models of superposition</h1>\n");
        b.append(String.format(Locale.ROOT, "<p>Elhage et al. (2022), \"Toy Models of Superposition\": n sparse features are squeezed "
                + "through m &lt; n hidden dimensions and back, x' = ReLU(W<sup>T</sup>W x + b) with W an m×n matrix, trained to "
                + "minimise Σ<sub>i</sub> I<sub>i</sub> (x<sub>i</sub> − x'<sub>i</sub>)². Each feature is 0 with probability S "
                + "(the sparsity) and otherwise uniform in [0, 1]. The linear model x' = W<sup>T</sup>W x + b is the control. "
                + "%d models, each %,d steps of AdamW (lr %s, weight decay %s, β 0.9/0.999) on batches of %d fresh samples, "
                + "trained side by side on every core in %.0f s.</p>%n", x.models().size(), s.steps(),
                Superposition.trim(s.optimizer().lr()), Superposition.trim(s.optimizer().weightDecay()), s.batch(), x.seconds()));
        b.append("<h2>What matched the paper and what did not</h2>\n<ul>\n");
        for (Report.Finding f : findings) {
            b.append("<li><b class=\"").append(f.matched() ? "yes\">MATCHED" : "no\">NOT MATCHED").append("</b>: ")
                    .append(escape(f.claim())).append(" — ").append(escape(f.evidence())).append("</li>\n");
        }
        b.append("</ul>\n");
        for (var e : figures.entrySet()) {
            String name = e.getKey();
            b.append("<h2>").append(escape(caption(name))).append("</h2>\n<p>").append(escape(explain(name))).append("</p>\n")
                    .append("<img alt=\"").append(escape(name)).append("\" src=\"").append(Png.dataUri(e.getValue()))
                    .append("\">\n");
        }
        b.append("<h2>Every model</h2>\n<p>W and b of each are saved as NumPy files (<code>models/NAME_W.npy</code> [m, n], "
                + "<code>models/NAME_b.npy</code> [n]); <code>report.json</code> lists them with their per-feature measures.</p>\n"
                + "<table><tr><th>model</th><th>n</th><th>m</th><th>importance</th><th>S</th><th>kind</th><th>features represented</th>"
                + "<th>D*</th><th>loss</th></tr>\n");
        for (TrainedToyModel t : x.models()) {
            Superposition.Spec p = t.spec();
            b.append(String.format(Locale.ROOT, "<tr><td>%s</td><td>%d</td><td>%d</td><td>%s<sup>i</sup></td><td>%s</td><td>%s</td>"
                            + "<td>%d</td><td>%.3f</td><td>%.4g</td></tr>%n", escape(p.name()), p.family().n(), p.family().m(),
                    Superposition.trim(p.family().importanceDecay()), Superposition.trim(p.sparsity()), p.relu() ? "ReLU" : "linear",
                    t.measures().featuresRepresented(), t.measures().dimensionsPerFeature(), t.loss()));
        }
        b.append("</table>\n</body></html>\n");
        return b.toString();
    }

    private static String caption(String file) {
        if (file.startsWith("weights_")) return "W^T W, b and ||W_i|| across sparsities: " + file.substring(8, file.length() - 4);
        if (file.equals("features_represented.png")) return "Features represented";
        return "Feature dimensionality";
    }

    private static String explain(String file) {
        if (file.startsWith("weights_")) {
            return "Columns: sparsity, from dense (1 − S = 1) to very sparse. Top row the linear model, bottom row the ReLU model. "
                    + "The linear model keeps the m most important features on orthogonal directions (a diagonal block of W^T W) at "
                    + "every sparsity; the ReLU model does too when features are dense, and as they grow sparse it represents more "
                    + "and more of them, in superposition: off-diagonal entries in W^T W, negative biases that filter the interference, "
                    + "and bars turning yellow.";
        }
        if (file.equals("features_represented.png")) {
            return "Features with ||W_i|| > 0.5 against 1/(1 − S); the horizontal lines mark m. Linear models stay at m or below; "
                    + "ReLU models cross it as the features grow sparse.";
        }
        return "Every represented feature's dimensionality D_i = ||W_i||² / Σ_j (Ŵ_i·W_j)² (dots) and the model's D* = m/||W||_F² "
                + "(line), uniform importance, against 1/(1 − S). The horizontal lines mark the fractions of the paper's geometric "
                + "configurations: 1 (a dimension of its own), 3/4 (tetrahedron), 2/3 (triangle), 1/2 (antipodal pair), 2/5 (pentagon), "
                + "3/8 (square antiprism), 1/3.";
    }
}
