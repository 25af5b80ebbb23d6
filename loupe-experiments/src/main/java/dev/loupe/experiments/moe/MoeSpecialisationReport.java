package dev.loupe.experiments.moe;

import dev.loupe.analysis.moe.LabelledRouting;
import dev.loupe.analysis.moe.LayerDiagnostics;
import dev.loupe.experiments.report.Heatmap;
import dev.loupe.experiments.report.Report;
import dev.loupe.model.io.ModelDirectory;
import dev.loupe.tensor.io.AtomicFiles;
import dev.loupe.tokens.Tokenizers;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Writes a {@link MoeSpecialisationResult}: {@code report.md}, {@code report.json}, {@code report.html}
 * (per MoE run and layer: load bars, RᵀR and its cosine form, source × expert shares) and the three
 * models ({@code without-aux/}, {@code with-aux/}, {@code dense/}).
 */
public final class MoeSpecialisationReport {
    private MoeSpecialisationReport() {}

    /** The directory name of a run's model. */
    static String dir(MoeSpecialisation.Run r) {
        return switch (r.name()) {
            case "without aux loss" -> "without-aux";
            case "with aux loss" -> "with-aux";
            default -> "dense";
        };
    }

    /** The Markdown/JSON report: setup, one table row per run, source × expert tables, four findings. */
    public static Report of(MoeSpecialisationResult x) {
        MoeSpecialisation.Settings s = x.settings();
        Report r = new Report("moe-specialisation", "Reproduction: mixture-of-experts routing — collapse without the load-balancing "
                + "loss, specialisation by source with it");
        r.paragraph("Papers: Shazeer et al. 2017 (sparsely-gated MoE: without a balancing term the gate favours a few experts, which "
                + "then train faster and are chosen more — a self-reinforcing collapse) and Fedus et al. 2021 (Switch Transformer: the "
                + "auxiliary loss α·E·Σ_e f_e·P_e balances the load; experts then specialise).");
        r.paragraph("Corpus: %,d characters (one token each, vocabulary %d) of segments of 60–200 characters from four sources — %s — "
                + "drawn uniformly; held out: %,d characters of another stream. Sample: `%s`.", s.chars(), x.tokenizer().vocabSize(),
                String.join(", ", MixedSources.SOURCES), MoeSpecialisation.HELD_OUT_CHARS, x.sample().substring(0, 120).replace("\n", "⏎"));
        r.paragraph("Models: %d layers, d_model %d, %d heads, context %d, GELU; the MoE runs have %d experts of width %d in every "
                + "layer, top-%d routing, z-loss β %.4g; one without the aux loss (α = 0), one with α = %.4g; the dense model's MLP "
                + "has width k·d_e = %d (the same active MLP width). Each: %d steps of AdamW, batch %d × %d, lr %.0e cosine to lr/10.",
                MoeSpecialisation.LAYERS, MoeSpecialisation.D_MODEL, MoeSpecialisation.HEADS, MoeSpecialisation.SEQ, s.experts(), s.dExpert(),
                s.topK(), s.zLossCoef(), s.auxLossCoef(), s.topK() * s.dExpert(), s.steps(), MoeSpecialisation.BATCH, MoeSpecialisation.SEQ,
                MoeSpecialisation.LR);
        if (s.topK() == 1) {
            r.paragraph("Top-1 note: with k = 1 the renormalised kept weight w = p_e / p_e is always 1, so the language-model loss "
                    + "sends no gradient to the router; it learns only from the aux and z losses (Switch Transformer multiplies by the "
                    + "un-renormalised p_e instead). Collapse or balance here is then the work of those losses and of drift, not of "
                    + "experts competing for tokens.");
        }
        r.line("I(source; expert) below is over each token's first-choice expert, on the held-out text.");
        r.line("");
        r.line("| run | parameters (active) | train loss first → last | held-out loss | load CV per layer | dead experts | router entropy "
                + "per layer (nats, uniform ln %d = %.2f) | I(source; expert) per layer (bits) |", s.experts(), Math.log(s.experts()));
        r.line("|---|---|---|---|---|---|---|---|");
        var runs = r.json.putArray("runs");
        for (MoeSpecialisation.Run run : x.runs()) {
            var j = runs.addObject().put("name", run.name()).put("parameters", run.parameters()).put("active_parameters", run.active())
                    .put("loss_first", run.lossFirst()).put("loss_last", run.lossLast()).put("held_out_loss", run.heldOutLoss());
            if (run.routing() == null) {
                r.line("| %s | %,d (%,d) | %.3f → %.3f | %.4f | – | – | – | – |", run.name(), run.parameters(), run.active(), run.lossFirst(),
                        run.lossLast(), run.heldOutLoss());
                continue;
            }
            var layers = j.putArray("layers");
            for (int i = 0; i < run.routing().layers().size(); i++) {
                var o = RoutingJson.layer(layers.addObject(), run.routing().layers().get(i), x.tokenizer()::tokenText);
                LabelledRouting src = run.bySource().get(i);
                o.put("source_expert_mutual_information_bits", src.mutualInformationBits()).put("source_entropy_bits", src.labelEntropyBits());
                var joint = o.putArray("source_expert_counts");
                for (long[] row : src.joint()) {
                    var a = joint.addArray();
                    for (long v : row) a.add(v);
                }
            }
            r.line("| %s | %,d (%,d) | %.3f → %.3f | %.4f | %s | %d | %s | %s |", run.name(), run.parameters(), run.active(), run.lossFirst(),
                    run.lossLast(), run.heldOutLoss(), perLayer(run, LayerDiagnostics::loadCv), run.deadExperts(),
                    perLayer(run, LayerDiagnostics::entropy), perSource(run));
        }
        r.line("");
        for (MoeSpecialisation.Run run : x.runs().subList(0, 2)) sourceTables(r, run);
        findings(r, x);
        return r;
    }

    private static void findings(Report r, MoeSpecialisationResult x) {
        MoeSpecialisation.Run off = x.withoutAux(), on = x.withAux(), dense = x.dense();
        double h = on.bySource().getFirst().labelEntropyBits();
        r.finding("without the load-balancing loss the router collapses onto few experts (load CV ≥ 0.5 or dead experts, and more "
                        + "unbalanced than with the loss)", (off.meanLoadCv() >= 0.5 || off.deadExperts() > 0) && off.meanLoadCv() > on.meanLoadCv(),
                String.format(Locale.ROOT, "mean load CV %.3f without vs %.3f with the aux loss; dead experts %d vs %d (CV √(E−1) = %.2f is "
                        + "total collapse)", off.meanLoadCv(), on.meanLoadCv(), off.deadExperts(), on.deadExperts(), Math.sqrt(x.settings().experts() - 1)));
        r.finding("with the load-balancing loss the load is spread (mean load CV < 0.3, no dead expert)", on.meanLoadCv() < 0.3 && on.deadExperts() == 0,
                String.format(Locale.ROOT, "mean load CV %.3f, %d dead experts", on.meanLoadCv(), on.deadExperts()));
        r.finding("with the load-balancing loss experts specialise by source (I(source; expert) ≥ 0.5 bits in some layer)",
                on.maxSourceInformation() >= 0.5, String.format(Locale.ROOT, "largest I(source; expert) %.3f bits with the aux loss, %.3f "
                        + "without (H(source) = %.3f bits is the ceiling)", on.maxSourceInformation(), off.maxSourceInformation(), h));
        r.finding("the MoE with the aux loss does at least as well as the dense model of equal active width on held-out text",
                on.heldOutLoss() <= dense.heldOutLoss(), String.format(Locale.ROOT, "held-out loss %.4f (MoE, %,d parameters, %,d active) "
                        + "vs %.4f (dense, %,d); MoE without the aux loss %.4f", on.heldOutLoss(), on.parameters(), on.active(), dense.heldOutLoss(),
                        dense.parameters(), off.heldOutLoss()));
        r.json.put("steps", x.settings().steps()).put("experts", x.settings().experts()).put("top_k", x.settings().topK())
                .put("aux_loss_coef", x.settings().auxLossCoef()).put("source_entropy_bits", h);
    }

    private static void sourceTables(Report r, MoeSpecialisation.Run run) {
        for (LabelledRouting src : run.bySource()) {
            r.line("Share of each source's tokens by their first-choice expert, %s, layer %d (I = %.3f bits):", run.name(), src.layer(),
                    src.mutualInformationBits());
            r.line("");
            StringBuilder head = new StringBuilder("| source |"), rule = new StringBuilder("|---|");
            long[][] j = src.joint();
            for (int e = 0; e < j[0].length; e++) { head.append(" E").append(e).append(" |"); rule.append("---|"); }
            r.line("%s", head);
            r.line("%s", rule);
            double[][] share = src.shares();
            for (int s = 0; s < j.length; s++) {
                StringBuilder row = new StringBuilder("| " + MixedSources.SOURCES.get(s) + " |");
                for (double v : share[s]) row.append(String.format(Locale.ROOT, " %.0f%% |", 100 * v));
                r.line("%s", row);
            }
            r.line("");
        }
    }

    private static String perLayer(MoeSpecialisation.Run run, java.util.function.ToDoubleFunction<LayerDiagnostics> f) {
        StringBuilder sb = new StringBuilder();
        for (LayerDiagnostics l : run.routing().layers()) sb.append(sb.isEmpty() ? "" : ", ").append(String.format(Locale.ROOT, "%.3f", f.applyAsDouble(l)));
        return sb.toString();
    }

    private static String perSource(MoeSpecialisation.Run run) {
        StringBuilder sb = new StringBuilder();
        for (LabelledRouting l : run.bySource()) sb.append(sb.isEmpty() ? "" : ", ").append(String.format(Locale.ROOT, "%.3f", l.mutualInformationBits()));
        return sb.toString();
    }

    /** The HTML page: the Markdown's findings as a list, then per MoE run and layer the load, RᵀR, cosine and source × expert pictures. */
    public static String html(MoeSpecialisationResult x, Report report) {
        StringBuilder s = RoutingHtml.head("MoE specialisation", "Two MoE runs (without and with the load-balancing loss) and a dense "
                + "model of equal active width, trained on four mixed sources; routing read on held-out text.");
        s.append("<ul>");
        for (Report.Finding f : report.findings()) {
            s.append("<li><b>").append(f.matched() ? "MATCHED" : "NOT MATCHED").append("</b>: ").append(Heatmap.esc(f.claim())).append(" — ")
                    .append(Heatmap.esc(f.evidence())).append("</li>");
        }
        s.append("</ul>\n");
        List<String> sources = MixedSources.SOURCES;
        for (MoeSpecialisation.Run run : x.runs()) {
            if (run.routing() == null) continue;
            s.append("<h2>").append(Heatmap.esc(run.name())).append("</h2>\n");
            for (int i = 0; i < run.routing().layers().size(); i++) {
                LayerDiagnostics l = run.routing().layers().get(i);
                LabelledRouting src = run.bySource().get(i);
                s.append("<h3>Layer ").append(l.layer()).append("</h3>\n");
                RoutingHtml.summary(s, l);
                RoutingHtml.gramMaps(s, l, run.name() + ": ");
                s.append("<div class=\"maps\"><div>").append(new Heatmap(String.format(Locale.ROOT, "source → first-choice expert, I = %.3f bits",
                        src.mutualInformationBits()), sources, RoutingHtml.experts(l.experts()), src.shares()).svg()).append("</div></div>\n");
            }
        }
        return s.append("</body></html>\n").toString();
    }

    /** Writes the three models, report.md, report.json and report.html to {@code out}; returns the Markdown. */
    public static String write(Path out, MoeSpecialisationResult x) {
        for (MoeSpecialisation.Run run : x.runs()) {
            Path dir = out.resolve(dir(run));
            ModelDirectory.write(dir, run.gpt().config(), run.gpt().parameters());
            Tokenizers.save(x.tokenizer(), dir);
        }
        Report r = of(x);
        String md = r.writeReport(out, out.resolve("with-aux"));
        AtomicFiles.writeString(out.resolve("report.html"), html(x, r));
        return md;
    }
}
