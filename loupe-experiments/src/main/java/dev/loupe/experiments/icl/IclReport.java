package dev.loupe.experiments.icl;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.tensor.io.AtomicFiles;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * The in-context regression report: {@code report.json} (keys {@code n_examples}, {@code mse}
 * {linear_1l, softmax_1l, least_squares_1l, linear_stack, gd_1_step, gd_2_steps, gd_5_steps, ridge},
 * {@code linear_vs_gd1_cosine}, …), {@code report.html} (table, plot, readings) and {@code mse.png}.
 */
public final class IclReport {
    public static final String JSON = "report.json", HTML = "report.html", PNG = "mse.png";

    private IclReport() {}

    /** Mean of the per-N values. */
    static double mean(double[] a) {
        double s = 0;
        for (double v : a) s += v;
        return s / a.length;
    }

    /** A few lines for the terminal: MSE at a few N, the GD-1 agreement, the weight reading. */
    public static String summary(InContextRegression.Result r) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-28s", "held-out MSE  N ="));
        int[] shown = r.nExamples().stream().mapToInt(Integer::intValue).filter(n -> n == 1 || n == 5 || n % 10 == 0 || n == r.nExamples().size())
                .distinct().toArray();
        for (int n : shown) sb.append(String.format(Locale.ROOT, " %9d", n));
        sb.append('\n');
        for (Map.Entry<String, double[]> e : r.mse().entrySet()) {
            sb.append(String.format(Locale.ROOT, "  %-26s", e.getKey()));
            for (int n : shown) sb.append(String.format(Locale.ROOT, " %9.4g", e.getValue()[n - 1]));
            sb.append('\n');
        }
        WeightReading w = r.reading();
        sb.append(String.format(Locale.ROOT, "linear_1l vs GD-1: mean cosine %.4f, relative L2 %.3f; M_QK cosine with [[I,0],[0,0]] %.3f, "
                + "m_OV on the y slot %.1f%%", mean(r.linearVsGd1Cosine()), mean(r.linearVsGd1RelativeL2()), w.qkCosine(), 100 * w.ovYShare()));
        return sb.toString();
    }

    /** Writes the three files into {@code out} (each atomically). */
    public static void write(InContextRegression.Result r, Path out) {
        AtomicFiles.writeString(out.resolve(JSON), json(r));
        AtomicFiles.write(out.resolve(PNG), o -> BitmapEncoder.saveBitmap(chart(r), o, BitmapEncoder.BitmapFormat.PNG));
        AtomicFiles.writeString(out.resolve(HTML), html(r));
    }

    static String json(InContextRegression.Result r) {
        ObjectMapper om = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = om.createObjectNode();
        root.put("reproduction", "in-context-regression");
        root.put("paper", "von Oswald et al. 2023, Transformers learn in-context by gradient descent");
        ArrayNode ns = root.putArray("n_examples");
        r.nExamples().forEach(ns::add);
        ObjectNode mse = root.putObject("mse");
        r.mse().forEach((k, v) -> array(mse.putArray(k), v));
        root.put("linear_vs_gd1_cosine", mean(r.linearVsGd1Cosine()));
        array(root.putArray("linear_vs_gd1_cosine_per_n"), r.linearVsGd1Cosine());
        root.put("linear_vs_gd1_relative_l2", mean(r.linearVsGd1RelativeL2()));
        array(root.putArray("linear_vs_gd1_relative_l2_per_n"), r.linearVsGd1RelativeL2());
        array(root.putArray("gd_1_best_lr"), r.gd1BestLr());
        array(root.putArray("least_squares_construction_alpha"), r.constructionAlpha());
        WeightReading w = r.reading();
        ObjectNode wr = root.putObject("linear_1l_weights");
        ArrayNode qk = wr.putArray("qk_token_space");
        for (double[] row : w.qk()) array(qk.addArray(), row);
        array(wr.putArray("ov_token_space"), w.ov());
        wr.put("qk_cosine_with_gd_construction", w.qkCosine()).put("qk_xx_share", w.qkXxShare())
                .put("ov_y_share", w.ovYShare()).put("effective_lr", w.effectiveLr());
        ObjectNode models = root.putObject("models");
        for (InContextRegression.Trained t : r.trained()) {
            ObjectNode m = models.putObject(t.key());
            m.put("attention", t.model().kind.describe()).put("layers", t.model().layers).put("d_model", t.model().dModel)
                    .put("heads", t.model().nHead).put("first_loss", t.firstLoss()).put("last_loss", t.lastLoss())
                    .put("train_seconds", t.seconds());
            double[] alpha = InContextRegression.learnedAlpha(t.model());
            if (alpha.length > 0) array(m.putArray("learned_alpha"), alpha);
        }
        var s = r.settings();
        root.putObject("settings").put("dims", s.dims()).put("n_max", s.nMax()).put("d_model", s.dModel())
                .put("stack_layers", s.stackLayers()).put("steps", s.steps()).put("batch", s.batch()).put("lr", s.lr())
                .put("eval_tasks", s.evalTasks()).put("ridge_lambda", s.ridgeLambda()).put("seed", s.seed());
        try {
            return om.writeValueAsString(root) + "\n";
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void array(ArrayNode a, double[] v) {
        for (double x : v) a.add(x);
    }

    static XYChart chart(InContextRegression.Result r) {
        XYChart chart = new XYChartBuilder().width(900).height(540).title("In-context linear regression: held-out MSE")
                .xAxisTitle("in-context examples N").yAxisTitle("MSE at the query (log)").build();
        chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
        chart.getStyler().setYAxisLogarithmic(true);
        double[] x = r.nExamples().stream().mapToDouble(Integer::doubleValue).toArray();
        for (Map.Entry<String, double[]> e : r.mse().entrySet()) {
            double[] y = e.getValue().clone();
            for (int i = 0; i < y.length; i++) y[i] = Math.max(y[i], 1e-6);   // log axis: ridge reaches ~0 past N = d
            var series = chart.addSeries(e.getKey(), x, y);
            series.setMarker(e.getKey().startsWith("gd") || e.getKey().equals("ridge") ? SeriesMarkers.NONE : SeriesMarkers.CIRCLE);
        }
        return chart;
    }

    static String html(InContextRegression.Result r) {
        StringBuilder sb = new StringBuilder();
        sb.append("<!doctype html><html><head><meta charset=\"utf-8\"><title>In-context regression</title><style>")
                .append("body{font:14px sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse;margin:1em 0}")
                .append("td,th{border:1px solid #ccc;padding:3px 6px;text-align:right;font-variant-numeric:tabular-nums}</style></head><body>");
        sb.append("<h1>Transformers learn in context by gradient descent</h1>");
        sb.append("<p>von Oswald et al. (2023), on Loupe's attention kinds. Each sequence is a fresh task: w ~ N(0, I<sub>")
                .append(r.settings().dims()).append("</sub>), tokens [x<sub>i</sub>, y<sub>i</sub> = wᵀx<sub>i</sub>], then the query [x<sub>q</sub>, 0];")
                .append(" the model's answer is read at the query. MSE of predicting 0 is E[y²] = ").append(r.settings().dims()).append(".</p>");
        sb.append("<img src=\"").append(PNG).append("\" alt=\"MSE against N\" width=\"900\">");
        WeightReading w = r.reading();
        sb.append(String.format(Locale.ROOT, "<h2>Linear self-attention vs one step of gradient descent</h2><p>Mean cosine between the "
                        + "1-layer linear model's and GD-1's predictions over held-out tasks: <b>%.4f</b> (relative L2 distance %.3f). "
                        + "Token-space weights: M<sub>QK</sub> = W<sub>in</sub>W<sub>Q</sub>W<sub>K</sub>ᵀW<sub>in</sub>ᵀ has cosine %.3f with "
                        + "the GD construction [[I, 0], [0, 0]] (%.1f%% of its norm² in the x–x block); m<sub>OV</sub> = W<sub>in</sub>W<sub>V</sub>"
                        + "W<sub>O</sub>w<sub>out</sub> puts %.1f%% of its norm on the y slot; effective learning rate η = %.4g "
                        + "(GD-1's best η·/N ranges %.4g … %.4g over N).</p>",
                mean(r.linearVsGd1Cosine()), mean(r.linearVsGd1RelativeL2()), w.qkCosine(), 100 * w.qkXxShare(), 100 * w.ovYShare(),
                w.effectiveLr(), r.gd1BestLr()[r.gd1BestLr().length - 1] / r.nExamples().getLast(), r.gd1BestLr()[0]));
        sb.append("<h2>Held-out MSE</h2><table><tr><th>N</th>");
        for (String k : r.mse().keySet()) sb.append("<th>").append(k).append("</th>");
        sb.append("<th>cos(linear, GD-1)</th></tr>");
        for (int i = 0; i < r.nExamples().size(); i++) {
            sb.append("<tr><td>").append(r.nExamples().get(i)).append("</td>");
            for (double[] v : r.mse().values()) sb.append(String.format(Locale.ROOT, "<td>%.4g</td>", v[i]));
            sb.append(String.format(Locale.ROOT, "<td>%.4f</td></tr>", r.linearVsGd1Cosine()[i]));
        }
        sb.append("</table><h2>Models</h2><table><tr><th>model</th><th>attention</th><th>layers</th><th>first loss</th><th>last loss</th>"
                + "<th>seconds</th></tr>");
        for (InContextRegression.Trained t : r.trained()) {
            double[] alpha = InContextRegression.learnedAlpha(t.model());
            sb.append(String.format(Locale.ROOT, "<tr><td>%s</td><td>%s%s</td><td>%d</td><td>%.4f</td><td>%.4f</td><td>%.1f</td></tr>", t.key(),
                    esc(t.model().kind.describe()), alpha.length > 0 ? String.format(Locale.ROOT, ", learned α = %.3g", alpha[0]) : "",
                    t.model().layers, t.firstLoss(), t.lastLoss(), t.seconds()));
        }
        sb.append("</table><p>GD rows: gradient descent on the in-context loss 1/(2N)Σ(wᵀx<sub>i</sub> − y<sub>i</sub>)² from w = 0, "
                + "the learning rate tuned per N on separate tasks; ridge: λ = ").append(r.settings().ridgeLambda())
                .append(" (noise-free data: λ → 0 is Bayes-optimal). least_squares_construction: one least-squares layer wired by hand "
                        + "(q = k = x, v = y, α tuned per N like GD's learning rate): it computes ridge shrunk by 1/(1 + x<sub>q</sub>ᵀ(XᵀX + αI)⁻¹x<sub>q</sub>), because "
                        + "the query's own key enters the causal sum; that is the best one least-squares layer can do on these tokens, "
                        + "and it approaches ridge as N grows.</p></body></html>\n");
        return sb.toString();
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
