package dev.loupe.cli.circuits;

import dev.loupe.analysis.circuits.Composition;
import dev.loupe.analysis.circuits.CompositionBaseline;
import dev.loupe.analysis.circuits.CompositionScores;
import dev.loupe.analysis.circuits.HeadCircuits;
import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;

import java.util.Locale;
import java.util.function.Consumer;
import java.util.function.IntFunction;

/**
 * The report as one self-contained HTML page (no scripts, no network): a table of head scores coloured
 * by sign, one heatmap per composition kind (rows: writer heads, columns: reader heads of later layers)
 * shaded by baseline standard deviations above the baseline mean, and the path-expansion term sizes as bars.
 */
public final class CircuitsHtml {
    private CircuitsHtml() {}

    /**
     * The page {@code loupe circuits --model DIR --html FILE} writes, for every head of {@code gpt} (raw
     * weights, no prompt, 5 token pairs per head where the scan is cheap): for other commands' reports.
     * {@code tokenText} may be null (ids are shown).
     */
    public static String page(Gpt gpt, IntFunction<String> tokenText, String modelName, Consumer<String> progress) {
        HeadCircuits c = new HeadCircuits(gpt);
        CircuitsReport report = CircuitsReport.compute(c, h -> true, false, 5, tokenText, progress);
        return render(report, CircuitsReadings.compute(c, h -> true, report.pairsScanned(), 5, null), modelName);
    }

    static String render(CircuitsReport r, CircuitsReadings x, String modelName) {
        StringBuilder sb = new StringBuilder();
        GptConfig cfg = r.circuits().model().config();
        sb.append("<!doctype html><html><head><meta charset=\"utf-8\"><title>circuits of ").append(esc(modelName)).append("</title>")
                .append("<style>body{font:14px sans-serif;margin:2em}table{border-collapse:collapse;margin:1em 0}"
                        + "td,th{border:1px solid #ccc;padding:3px 6px;text-align:right;font-variant-numeric:tabular-nums}"
                        + ".bar{background:#4a7fc1;height:10px;display:inline-block}</style></head><body>");
        sb.append("<h1>Circuits of ").append(esc(modelName)).append("</h1>");
        sb.append(String.format(Locale.ROOT, "<p>%d layers × %d heads, d_model %d, d_head %d, vocab %d.</p>", cfg.nLayer(), cfg.nHead(),
                cfg.dModel(), r.circuits().dHead(), cfg.vocabSize()));
        if (cfg.attention().softmaxCaveat() != null) sb.append("<p><b>Note:</b> ").append(esc(cfg.attention().softmaxCaveat())).append(".</p>");
        sb.append("<h2>Head scores</h2><p>copying: Σλ/Σ|λ| of the full OV circuit W_E·W_OV·W_U; matching: the same of the full QK circuit. "
                + "Blue positive, red negative.</p><table><tr><th>head</th><th>copying</th><th>matching</th></tr>");
        for (CircuitsReport.Head h : r.heads()) {
            sb.append("<tr><th>").append(h.id()).append("</th>").append(signed(h.ovCopying())).append(signed(h.qkMatching())).append("</tr>");
        }
        sb.append("</table>");
        if (r.hasCompositions()) heatmaps(sb, r);
        if (x.paths() != null) {
            CircuitsReadings.Paths p = x.paths();
            double max = p.terms().isEmpty() ? 1 : Math.max(p.terms().getFirst().norm(), 1e-30);
            sb.append(String.format(Locale.ROOT, "<h2>Path expansion</h2><p>%d tokens; Frobenius norm of each path's logits "
                    + "(patterns and LayerNorm scales frozen from the run). The terms sum to the logits to %.2g (largest logit %.3g).</p><table>"
                    + "<tr><th>path</th><th>kind</th><th>norm</th><th></th></tr>", p.ids().length, p.maxSumError(), p.maxLogit()));
            for (CircuitsReadings.Term t : p.terms()) {
                sb.append("<tr><th>").append(esc(t.label())).append("</th><td>").append(t.kind()).append("</td>")
                        .append(String.format(Locale.ROOT, "<td>%.4g</td><td style=\"text-align:left\"><span class=\"bar\" style=\"width:%dpx\"></span></td></tr>",
                                t.norm(), (int) Math.round(300 * t.norm() / max)));
            }
            sb.append("</table>");
        }
        sb.append("</body></html>\n");
        return sb.toString();
    }

    private static void heatmaps(StringBuilder sb, CircuitsReport r) {
        int layers = r.circuits().layers(), heads = r.circuits().heads();
        sb.append("<h2>Composition scores</h2><p>‖L·R‖_F / (‖L‖_F·‖R‖_F) with L = W_OV of the writer; Q: R = W_QK, K: R = W_QKᵀ, "
                + "V: R = W_OV of the reader. Shade: baseline standard deviations above the random-matrix baseline mean (dark = 10 or more); "
                + "the number is the score.</p>");
        for (Composition k : Composition.values()) {
            CompositionBaseline b = r.baselines().get(k);
            double[][] grid = new double[layers * heads][layers * heads];
            for (double[] row : grid) java.util.Arrays.fill(row, Double.NaN);
            for (CompositionScores.Pair p : r.compositions()) {
                grid[p.from().layer() * heads + p.from().head()][p.to().layer() * heads + p.to().head()] = p.get(k);
            }
            sb.append(String.format(Locale.ROOT, "<h3>%s-composition (baseline %.4f ± %.4f)</h3><table><tr><th>from \\ to</th>", k, b.mean(), b.std()));
            for (int j = heads; j < layers * heads; j++) sb.append("<th>L").append(j / heads).append('H').append(j % heads).append("</th>");
            sb.append("</tr>");
            for (int i = 0; i < (layers - 1) * heads; i++) {
                sb.append("<tr><th>L").append(i / heads).append('H').append(i % heads).append("</th>");
                for (int j = heads; j < layers * heads; j++) {
                    double v = grid[i][j];
                    if (Double.isNaN(v)) {
                        sb.append("<td></td>");
                        continue;
                    }
                    double z = Math.max(0, Math.min(10, b.zScore(v))) / 10;
                    int shade = (int) Math.round(255 - 200 * z);
                    sb.append(String.format(Locale.ROOT, "<td style=\"background:rgb(%d,%d,255)%s\">%.3f</td>", shade, shade,
                            z > 0.6 ? ";color:#fff" : "", v));
                }
                sb.append("</tr>");
            }
            sb.append("</table>");
        }
    }

    private static String signed(double v) {
        if (Double.isNaN(v)) return "<td>n/a</td>";
        int s = (int) Math.round(255 - 155 * Math.min(1, Math.abs(v)));
        String bg = v >= 0 ? "rgb(" + s + "," + s + ",255)" : "rgb(255," + s + "," + s + ")";
        return String.format(Locale.ROOT, "<td style=\"background:%s\">%+.4f</td>", bg, v);
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
