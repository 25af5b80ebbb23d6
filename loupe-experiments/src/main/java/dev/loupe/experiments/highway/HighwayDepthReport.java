package dev.loupe.experiments.highway;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.experiments.report.AttentionHeatmap;
import dev.loupe.experiments.report.Report;
import dev.loupe.experiments.report.SvgLineChart;
import dev.loupe.model.io.ModelDirectory;
import dev.loupe.tensor.io.AtomicFiles;
import dev.loupe.tokens.Tokenizers;
import dev.loupe.train.TrainingHistory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Writes a {@link HighwayDepth.Result} to a directory: every arm's model ({@code models/ARM/}, a
 * model directory with its tokenizer, so {@code loupe highway --model DIR/models/highway} reads its
 * gates), {@code report.json} (settings, curves, per-block readings, findings) and a self-contained
 * {@code report.html} (SVG charts inline).
 */
public final class HighwayDepthReport {
    private HighwayDepthReport() {}

    /** Writes everything; returns the findings. */
    public static List<Report.Finding> write(Path out, HighwayDepth.Result x) {
        for (HighwayDepth.TrainedArm a : x.arms()) {
            Path dir = out.resolve("models").resolve(a.arm().name());
            ModelDirectory.write(dir, a.model().config(), a.model().parameters());
            Tokenizers.save(x.tokenizer(), dir);
        }
        List<Report.Finding> findings = HighwayDepthFindings.of(x);
        AtomicFiles.writeString(out.resolve("report.json"), json(x, findings).toPrettyString() + "\n");
        AtomicFiles.writeString(out.resolve("report.html"), html(x, findings));
        return findings;
    }

    static ObjectNode json(HighwayDepth.Result x, List<Report.Finding> findings) {
        ObjectMapper om = new ObjectMapper();
        ObjectNode root = om.createObjectNode();
        root.put("reproduction", "highway-depth");
        HighwayDepth.Settings s = x.settings();
        root.putObject("settings").put("layers", s.layers()).put("d_model", s.dModel()).put("heads", s.heads())
                .put("seq", s.seqLen()).put("batch", s.batch()).put("steps", s.steps()).put("lr", s.lr())
                .put("gate_bias", s.gateBias()).put("vocab", s.vocab()).put("tokens", s.tokens()).put("seed", s.seed());
        root.put("seconds", x.seconds());
        ArrayNode arms = root.putArray("arms");
        for (HighwayDepth.TrainedArm a : x.arms()) {
            ObjectNode o = arms.addObject();
            o.put("name", a.arm().name()).put("description", a.arm().description()).put("model", "models/" + a.arm().name())
                    .put("validation_loss", a.finalLoss()).put("seconds", a.seconds());
            ArrayNode train = o.putArray("train_loss");
            for (TrainingHistory.StepPoint p : a.steps()) train.add(p.loss());
            ArrayNode evals = o.putArray("validation");
            for (TrainingHistory.EvalPoint p : a.evals()) evals.addObject().put("step", p.step()).put("loss", p.loss());
            DepthReading r = a.reading();
            ObjectNode rd = o.putObject("reading");
            rd.put("probe_loss", r.baseLoss());
            array(rd.putArray("relative_update"), r.relativeUpdate());
            array(rd.putArray("cosine"), r.cosine());
            array(rd.putArray("lesion"), r.lesion());
            if (!r.sublayers().isEmpty()) {
                ArrayNode subs = rd.putArray("sublayers");
                r.sublayers().forEach(subs::add);
                array(rd.putArray("mean_gate"), r.meanGate());
                array(rd.putArray("transform_share"), r.transformShare());
                array(rd.putArray("final_share"), r.finalShare());
                rd.put("embed_final_share", r.embedShare());
            }
        }
        ArrayNode f = root.putArray("findings");
        for (Report.Finding k : findings) f.addObject().put("claim", k.claim()).put("matched", k.matched()).put("evidence", k.evidence());
        return root;
    }

    private static void array(ArrayNode into, double[] v) {
        for (double d : v) into.add(d);
    }

    static String html(HighwayDepth.Result x, List<Report.Finding> findings) {
        HighwayDepth.Settings s = x.settings();
        StringBuilder b = new StringBuilder("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Highway depth</title></head>\n"
                + "<body style=\"font-family:sans-serif;margin:2em;max-width:70em\">\n<h1>Deep narrow stacks: plain, highway and gated residual</h1>\n");
        b.append(String.format(Locale.ROOT, "<p>%d blocks of width %d (%d heads, GELU MLP of width %d), trained %d steps of %d windows of "
                        + "%d tokens (AdamW, lr %.1e, cosine) on a generated corpus of %,d symbols, one run per arm from the same seed. Gate bias at "
                        + "initialisation %.1f. %.0f s in all.</p>%n", s.layers(), s.dModel(), s.heads(), 4 * s.dModel(), s.steps(), s.batch(),
                s.seqLen(), s.lr(), s.tokens(), s.gateBias(), x.seconds()));
        b.append("<h2>What matched and what did not</h2>\n<ul>\n");
        for (Report.Finding f : findings) {
            b.append("<li><b>").append(f.matched() ? "MATCHED" : "NOT MATCHED").append("</b>: ").append(esc(f.claim()))
                    .append(" — ").append(esc(f.evidence())).append("</li>\n");
        }
        b.append("</ul>\n<h2>Loss curves</h2>\n");
        List<SvgLineChart.Series> train = new ArrayList<>(), val = new ArrayList<>();
        double hi = 0, lo = Double.MAX_VALUE;
        for (HighwayDepth.TrainedArm a : x.arms()) {
            List<double[]> pts = new ArrayList<>();
            int window = Math.max(1, a.steps().size() / 100);
            for (int i = window - 1; i < a.steps().size(); i += window) {       // mean of each window of steps: readable curves
                double m = 0;
                for (int k = i - window + 1; k <= i; k++) m += a.steps().get(k).loss();
                pts.add(new double[] {a.steps().get(i).step(), m / window});
                hi = Math.max(hi, m / window);
                lo = Math.min(lo, m / window);
            }
            train.add(new SvgLineChart.Series(a.arm().name(), pts));
            List<double[]> v = new ArrayList<>();
            for (TrainingHistory.EvalPoint p : a.evals()) v.add(new double[] {p.step(), p.loss()});
            val.add(new SvgLineChart.Series(a.arm().name(), v));
        }
        double top = Math.min(hi, lo + 3);
        b.append(SvgLineChart.svg("training loss (mean per " + Math.max(1, s.steps() / 100) + " steps)", "step", "loss (nats)", train,
                Math.floor(lo * 10) / 10, Math.ceil(top * 10) / 10));
        b.append(SvgLineChart.svg("validation loss", "step", "loss (nats)", val, Math.floor(lo * 10) / 10, Math.ceil(top * 10) / 10));
        b.append("<h2>What each block does</h2>\n<p>Measured on probe windows of validation text. Relative update ‖x<sub>l+1</sub> − "
                + "x<sub>l</sub>‖/‖x<sub>l</sub>‖: small when a block refines the stream rather than replacing it. Lesion: the loss with "
                + "block l replaced by the identity, minus the intact loss (Greff et al. 2017).</p>\n");
        // block 0 writes onto the embedding, whose norm is far smaller than any later stream's: its relative update
        // (listed in the table) would flatten every other point, so that chart starts at block 1
        b.append(perBlock("relative update per block (from block 1)", "‖Δx‖/‖x‖", x, DepthReading::relativeUpdate, 1));
        b.append(perBlock("lesion cost per block", "loss increase (nats)", x, DepthReading::lesion, 0));
        b.append(perBlock("cos(x_l, x_l+1) per block", "cosine", x, DepthReading::cosine, 0));
        b.append("<h2>The learned gates</h2>\n<p>Per sublayer (attention, MLP of each block), mean over positions and dimensions of the "
                + "gate T (1 = transform, 0 = carry), and the share of the final stream that arrived through that sublayer's "
                + "transform path (its output × its gate × the carry gates of every later sublayer). Open a model with "
                + "<code>loupe highway --model models/highway --text …</code> for the per-token heatmap.</p>\n");
        List<SvgLineChart.Series> gates = new ArrayList<>(), shares = new ArrayList<>();
        double gmax = 0, smin = 0, smax = 0;
        for (HighwayDepth.TrainedArm a : x.arms()) {
            DepthReading r = a.reading();
            if (r.sublayers().isEmpty()) continue;
            for (int kind = 0; kind < 2; kind++) {
                List<double[]> g = new ArrayList<>(), f = new ArrayList<>();
                for (int i = kind; i < r.sublayers().size(); i += 2) {
                    g.add(new double[] {i / 2, r.meanGate()[i]});
                    f.add(new double[] {i / 2, r.finalShare()[i]});
                    gmax = Math.max(gmax, r.meanGate()[i]);
                    smin = Math.min(smin, r.finalShare()[i]);
                    smax = Math.max(smax, r.finalShare()[i]);
                }
                String label = a.arm().name() + (kind == 0 ? " attn" : " mlp");
                gates.add(new SvgLineChart.Series(label, g));
                shares.add(new SvgLineChart.Series(label, f));
            }
        }
        if (!gates.isEmpty()) {
            b.append(SvgLineChart.svg("mean gate T per block", "block", "T", gates, 0, Math.ceil(gmax * 10) / 10));
            b.append(SvgLineChart.svg("share of the final stream by path", "block", "share", shares, Math.floor(smin * 10) / 10,
                    Math.ceil(smax * 10) / 10));
        }
        b.append("<h2>Numbers</h2>\n<table border=\"1\" cellpadding=\"3\" style=\"border-collapse:collapse;font-size:12px\">\n<tr><th>block</th>");
        for (HighwayDepth.TrainedArm a : x.arms()) b.append("<th>").append(a.arm().name()).append("<br>update / lesion</th>");
        b.append("</tr>\n");
        for (int l = 0; l < s.layers(); l++) {
            b.append("<tr><td>").append(l).append("</td>");
            for (HighwayDepth.TrainedArm a : x.arms()) {
                b.append(String.format(Locale.ROOT, "<td>%.3f / %+.3f</td>", a.reading().relativeUpdate()[l], a.reading().lesion()[l]));
            }
            b.append("</tr>\n");
        }
        b.append("<tr><td>validation loss</td>");
        for (HighwayDepth.TrainedArm a : x.arms()) b.append(String.format(Locale.ROOT, "<td>%.4f</td>", a.finalLoss()));
        b.append("</tr>\n</table>\n</body></html>\n");
        return b.toString();
    }

    private static String perBlock(String title, String y, HighwayDepth.Result x,
                                   java.util.function.Function<DepthReading, double[]> f, int from) {
        List<SvgLineChart.Series> series = new ArrayList<>();
        double lo = 0, hi = 0;
        for (HighwayDepth.TrainedArm a : x.arms()) {
            double[] v = f.apply(a.reading());
            List<double[]> pts = new ArrayList<>();
            for (int l = from; l < v.length; l++) {
                pts.add(new double[] {l, v[l]});
                lo = Math.min(lo, v[l]);
                hi = Math.max(hi, v[l]);
            }
            series.add(new SvgLineChart.Series(a.arm().name(), pts));
        }
        return SvgLineChart.svg(title, "block", y, series, Math.floor(lo * 10) / 10, Math.max(0.1, Math.ceil(hi * 10) / 10));
    }

    private static String esc(String s) {
        return AttentionHeatmap.escape(s);
    }
}
