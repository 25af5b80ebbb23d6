package dev.loupe.experiments.monosemanticity;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.model.io.ModelDirectory;
import dev.loupe.sae.FeatureDashboardHtml;
import dev.loupe.sae.SaeFiles;
import dev.loupe.sae.SaeMetrics;
import dev.loupe.tensor.io.AtomicFiles;
import dev.loupe.tokens.Tokenizers;

import java.nio.file.Path;
import java.util.Locale;

/**
 * Writes a {@link MonosemanticityResult} to a directory:
 * <pre>
 *   report.html, report.json   the findings: SAE quality, and per proxy class the best feature against the best neuron
 *   features.html, .json       dashboards of the best features ({@code loupe sae features}' page)
 *   neurons.html, .json        dashboards of the best neurons, for comparison
 *   model/                     the transformer (Hugging Face GPT-2 layout + tokenizer.json)
 *   sae/                       the autoencoder (SAELens layout: cfg.json, sae_weights.safetensors, sparsity.safetensors)
 *   heldout.txt                the fresh text the units were measured on (for loupe sae features, serve)
 * </pre>
 */
public final class MonosemanticityReport {
    private MonosemanticityReport() {}

    /** Writes every file; returns the JSON report. */
    public static ObjectNode write(MonosemanticityResult r, Path out) {
        ModelDirectory.write(out.resolve("model"), r.transformer().gpt().config(), r.transformer().gpt().parameters());
        Tokenizers.save(r.transformer().tokenizer(), out.resolve("model"));
        SaeFiles.save(r.sae(), out.resolve("sae"), r.metrics().featureDensity());
        AtomicFiles.writeString(out.resolve("heldout.txt"), ProxyCorpus.generate(r.settings().seed(), 1, r.settings().evalTokens()));
        AtomicFiles.writeString(out.resolve("features.json"), r.featureDashboard().json().toString() + "\n");
        AtomicFiles.writeString(out.resolve("features.html"), FeatureDashboardHtml.page(r.featureDashboard()));
        AtomicFiles.writeString(out.resolve("neurons.json"), r.neuronDashboard().json().toString() + "\n");
        AtomicFiles.writeString(out.resolve("neurons.html"), FeatureDashboardHtml.page(r.neuronDashboard()));
        ObjectNode json = json(r);
        AtomicFiles.writeString(out.resolve("report.json"), json.toPrettyString() + "\n");
        AtomicFiles.writeString(out.resolve("report.html"), html(r));
        return json;
    }

    /** The report as JSON. */
    public static ObjectNode json(MonosemanticityResult r) {
        MonosemanticitySettings s = r.settings();
        ObjectNode root = new ObjectMapper().createObjectNode().put("reproduction", "monosemanticity");
        root.putObject("settings").put("seed", s.seed()).put("train_tokens", s.trainTokens()).put("steps", s.steps()).put("batch", s.batch())
                .put("context", s.context()).put("d_model", s.dModel()).put("d_mlp", s.dMlp()).put("heads", s.heads()).put("lr", s.lr())
                .put("expansion", s.expansion()).put("sae_tokens", s.saeTokens()).put("sae_batch", s.saeBatch())
                .put("l1_coefficient", s.l1Coefficient()).put("sae_lr", s.saeLr()).put("eval_tokens", s.evalTokens());
        TransformerStage t = r.transformer();
        root.putObject("transformer").put("hook_name", MonosemanticitySettings.hook()).put("first_loss", t.firstLoss()).put("last_loss", t.lastLoss())
                .put("held_out_loss", t.heldOutLoss()).put("seconds", t.seconds());
        SaeMetrics.Result m = r.metrics();
        ObjectNode sae = root.putObject("sae").put("architecture", r.sae().architecture().toString()).put("d_in", r.sae().dIn())
                .put("d_sae", r.sae().dSae()).put("seconds", r.saeSeconds()).put("l0", m.l0()).put("explained_variance", m.explainedVariance())
                .put("mse", m.mse()).put("ce_loss_clean", m.ceLossClean()).put("ce_loss_with_sae", m.ceLossWithSae())
                .put("ce_loss_with_ablation", m.ceLossWithAblation()).put("kl_div_score", m.klDivScore())
                .put("ce_loss_score", m.ceLossScore()).put("dead_features", m.deadFeatures());
        ObjectNode hist = sae.putObject("log10_density_histogram").put("from", -8).put("bin_width", 0.5);
        ArrayNode counts = hist.putArray("counts");
        for (int c : r.log10DensityHistogram()) counts.add(c);
        root.put("active_threshold_fraction_of_max", ProxyScores.ACTIVE_FRACTION);
        ArrayNode classes = root.putArray("classes");
        for (ProxyClass c : ProxyClass.values()) {
            ObjectNode o = classes.addObject().put("class", c.key()).put("label", c.label()).put("rule", c.rule())
                    .put("tokens", r.features().classTokens(c));
            unit(o.putObject("best_feature"), r.features().best(c));
            unit(o.putObject("best_neuron"), r.neurons().best(c));
            o.put("feature_more_specific", r.featureMoreSpecific(c));
        }
        root.put("classes_where_features_are_more_specific", r.classesWhereFeaturesWin()).put("class_count", ProxyClass.values().length);
        return root;
    }

    private static void unit(ObjectNode o, ProxyScores.Score s) {
        o.put("index", s.unit()).put("specificity", s.specificity()).put("sensitivity", s.sensitivity()).put("correlation", s.correlation());
    }

    /** The report as one self-contained HTML page. */
    public static String html(MonosemanticityResult r) {
        MonosemanticitySettings s = r.settings();
        SaeMetrics.Result m = r.metrics();
        StringBuilder h = new StringBuilder();
        h.append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Reproduction: Towards Monosemanticity</title><style>")
                .append("body{font:15px/1.5 system-ui,sans-serif;max-width:980px;margin:24px auto;color:#222;padding:0 12px}")
                .append("table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}")
                .append("th{background:#f6f6f6}td.l,th.l{text-align:left}.win{color:#1a7f37;font-weight:600}.lose{color:#b35900}code{background:#f3f3f3}")
                .append("</style></head><body>\n<h1>Reproduction: Towards Monosemanticity, on a CPU</h1>\n");
        h.append(p("Bricken et al. (2023) trained a sparse autoencoder on the MLP activations of a one-layer transformer and found its "
                + "features far more monosemantic than the MLP's neurons: a feature fires on one recognisable kind of text (Arabic, DNA, "
                + "base64), a neuron on a mixture. Here the same setup, scaled down: a transformer with one layer, d_model %d and %d ReLU "
                + "neurons, trained for %d steps on generated text with five recognisable token classes; then an SAE with %d features "
                + "(%d×) on its neurons' activations, trained on %,d activation vectors. All numbers below are measured on %,d tokens of "
                + "fresh text.", s.dModel(), s.dMlp(), s.steps(), r.sae().dSae(), s.expansion(), s.saeTokens(), s.evalTokens()));
        h.append("<h2>Features against neurons, per proxy class</h2>\n");
        h.append(p("A unit (neuron or feature) is <i>active</i> on a token when its activation exceeds %.0f%% of its maximum over these "
                + "tokens (the same rule for both). Specificity = P(class | active), sensitivity = P(active | class), correlation = Pearson's "
                + "r of the activation with the class's indicator. The best unit of a class is the one with the highest correlation; the "
                + "classes are labelled by rules that read the text only.", 100 * ProxyScores.ACTIVE_FRACTION));
        h.append("<table><tr><th class=l>class</th><th class=l>rule</th><th>tokens</th><th>best feature</th><th>specificity</th><th>sensitivity</th>"
                + "<th>correlation</th><th>best neuron</th><th>specificity</th><th>sensitivity</th><th>correlation</th></tr>\n");
        for (ProxyClass c : ProxyClass.values()) {
            ProxyScores.Score f = r.features().best(c), n = r.neurons().best(c);
            String cls = r.featureMoreSpecific(c) ? "win" : "lose";
            h.append(String.format(Locale.ROOT, "<tr><td class=l>%s</td><td class=l>%s</td><td>%d</td><td><a href=\"features.html#%d\">#%d</a></td>"
                            + "<td class=%s>%.3f</td><td>%.3f</td><td>%.3f</td><td><a href=\"neurons.html#%d\">#%d</a></td><td>%.3f</td><td>%.3f</td><td>%.3f</td></tr>%n",
                    c.label(), esc(c.rule()), r.features().classTokens(c), f.unit(), f.unit(), cls, f.specificity(), f.sensitivity(), f.correlation(),
                    n.unit(), n.unit(), n.specificity(), n.sensitivity(), n.correlation()));
        }
        h.append("</table>\n");
        int wins = r.classesWhereFeaturesWin();
        h.append(p("<b>%s</b>: the best feature is more specific than the best neuron for %d of %d classes.",
                wins * 2 > ProxyClass.values().length ? "Matched the paper" : "Not matched", wins, ProxyClass.values().length));
        h.append("<h2>The autoencoder</h2>\n<table>");
        row(h, "L0 (active features per token)", "%.1f", m.l0());
        row(h, "explained variance", "%.3f", m.explainedVariance());
        row(h, "CE loss: clean / with the SAE / MLP activations zeroed", "%.4f / %.4f / %.4f", m.ceLossClean(), m.ceLossWithSae(), m.ceLossWithAblation());
        row(h, "CE loss score (ablation − sae) / (ablation − clean)", "%.3f", m.ceLossScore());
        row(h, "dead features (never active on these tokens)", "%d of %d", m.deadFeatures(), r.sae().dSae());
        row(h, "transformer: held-out loss, training time", "%.3f nats, %.0f s", r.transformer().heldOutLoss(), r.transformer().seconds());
        row(h, "autoencoder training time", "%.0f s", r.saeSeconds());
        h.append("</table>\n<h3>Feature density (log10 of the share of tokens a feature is active on)</h3>\n").append(histogram(r.log10DensityHistogram()));
        h.append(p("Dashboards: <a href=\"features.html\">features.html</a> (the best feature of each class and the most frequent others) and "
                + "<a href=\"neurons.html\">neurons.html</a> (the best neuron of each class) — top-activating contexts, examples from bands of "
                + "strength, activation histograms and logit effects. The model is in <code>model/</code>, the SAE in SAELens' layout in "
                + "<code>sae/</code>, the measured text in <code>heldout.txt</code>: <code>loupe sae features --model model --sae sae "
                + "--data heldout.txt --out DIR</code> browses every feature, <code>loupe serve --model model --sae sae --sae-dashboard .</code> "
                + "(in this directory) shows them per token."));
        return h.append("</body></html>\n").toString();
    }

    /** Inline SVG bars of the log10-density histogram (bins of 0.5 from −8 to 0). */
    private static String histogram(int[] bins) {
        int w = 28, height = 120, max = 1;
        for (int b : bins) max = Math.max(max, b);
        StringBuilder svg = new StringBuilder(String.format(Locale.ROOT, "<svg width=\"%d\" height=\"%d\">", bins.length * w + 10, height + 30));
        for (int i = 0; i < bins.length; i++) {
            int bh = (int) Math.round((double) height * bins[i] / max);
            svg.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#e07020\"><title>10^%.1f–10^%.1f: %d</title></rect>",
                    5 + i * w, height - bh, w - 2, bh, -8 + 0.5 * i, -7.5 + 0.5 * i, bins[i]));
            if (i % 2 == 0) svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"11\">%d</text>", 5 + i * w, height + 16, -8 + i / 2));
        }
        return svg.append("</svg>\n").toString();
    }

    private static void row(StringBuilder h, String label, String format, Object... args) {
        h.append("<tr><td class=l>").append(label).append("</td><td>").append(String.format(Locale.ROOT, format, args)).append("</td></tr>\n");
    }

    private static String p(String format, Object... args) {
        return "<p>" + String.format(Locale.ROOT, format, args) + "</p>\n";
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
