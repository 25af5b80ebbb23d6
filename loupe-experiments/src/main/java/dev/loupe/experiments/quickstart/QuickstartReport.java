package dev.loupe.experiments.quickstart;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.analysis.circuits.HeadId;
import dev.loupe.analysis.detectors.HeadScores;
import dev.loupe.analysis.detectors.RepeatedTokens;
import dev.loupe.experiments.induction.CopyCorpus;
import dev.loupe.experiments.induction.InductionRecipe;
import dev.loupe.experiments.induction.TrainedModel;
import dev.loupe.experiments.report.AttentionHeatmap;
import dev.loupe.experiments.report.SvgLineChart;
import dev.loupe.model.ActivationCache;
import dev.loupe.model.Gpt;
import dev.loupe.model.io.ModelDirectory;
import dev.loupe.model.io.SamplePrompt;
import dev.loupe.tensor.io.AtomicFiles;
import dev.loupe.tokens.Tokenizers;
import dev.loupe.tensor.Tensor;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static dev.loupe.experiments.report.AttentionHeatmap.escape;

/** The quickstart's outputs: {@code summary.json} (the form) and a self-contained {@code report.html}. */
public final class QuickstartReport {
    private QuickstartReport() {}

    /** {"models":[{"name","layers","final_loss","icl_score","heads":[{"layer","head","prev_token_score","induction_score","duplicate_score"}]}]} */
    /**
     * Writes both models (out/attn-only-2l, out/attn-only-1l, each with its tokenizer and a sample of the
     * training text, {@link SamplePrompt}), out/summary.json
     * and out/report.html; returns the path of the report.
     */
    public static Path write(Path out, QuickstartResult x) {
        for (TrainedModel m : List.of(x.two(), x.one())) {
            Path dir = out.resolve(m.name());
            ModelDirectory.write(dir, m.gpt().config(), m.gpt().parameters());
            Tokenizers.save(x.recipe().tokenizer(), dir);
            SamplePrompt.write(dir, x.prompt());
        }
        AtomicFiles.writeString(out.resolve("summary.json"), summaryJson(List.of(x.two(), x.one())));
        Path report = out.resolve("report.html");
        AtomicFiles.writeString(report, html(x.findings(), x.recipe(), x.sample()));
        return report;
    }

    public static String summaryJson(List<TrainedModel> models) {
        ObjectMapper om = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = om.createObjectNode();
        ArrayNode arr = root.putArray("models");
        for (TrainedModel m : models) {
            ObjectNode o = arr.addObject();
            o.put("name", m.name());
            o.put("layers", m.layers());
            o.put("final_loss", round(m.finalLoss()));
            o.put("icl_score", round(m.icl().score()));
            o.put("probe", m.detectorProbe().name());
            ArrayNode heads = o.putArray("heads");
            HeadScores s = m.scores();
            for (int l = 0; l < s.layers(); l++) {
                for (int h = 0; h < s.heads(); h++) {
                    ObjectNode ho = heads.addObject();
                    ho.put("layer", l);
                    ho.put("head", h);
                    ho.put("prev_token_score", round(s.previousToken()[l][h]));
                    ho.put("induction_score", round(s.induction()[l][h]));
                    ho.put("duplicate_score", round(s.duplicateToken()[l][h]));
                }
            }
        }
        try {
            return om.writeValueAsString(root) + "\n";
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static double round(double x) { return Math.round(x * 1e4) / 1e4; }

    /** The plain-language reading of the findings, one paragraph per point. */
    public static List<String> reading(QuickstartFindings f, InductionRecipe s) {
        List<String> r = new ArrayList<>();
        String ind2 = QuickstartFindings.head(f.induction2());
        r.add(String.format(Locale.ROOT, "In the two-layer model, head %s attends from a repeated symbol to the symbol that followed "
                + "its earlier occurrence %.0f%% of the time (induction score %.2f; uniform attention would give about %.2f).",
                ind2, 100 * f.inductionScore2(), f.inductionScore2(), uniformInduction(s.context() / 2)));
        r.add(String.format(Locale.ROOT, "It relies on layer 0's previous-token heads, %s (the share of attention each puts on "
                + "the token just before): with them mean-ablated together, %s's induction score falls from %.2f to %.2f. That is "
                + "the two-step circuit of Elhage et al. (2021): layer 0 writes \"my previous symbol was A\" into each position, and "
                + "layer 1 looks for the position whose previous symbol matches the current one, then copies what is there.",
                f.previousHeadsText(), ind2, f.source().baseline(), f.withoutPrevious()));
        r.add(String.format(Locale.ROOT, "The one-layer model has no second layer to compose with, and its best head scores only %.2f "
                + "(head %s).", f.inductionScore1(), QuickstartFindings.head(f.induction1())));
        r.add(String.format(Locale.ROOT, "In-context learning (loss at token %d minus loss at token %d; negative = later tokens are "
                + "predicted better, the paper's 500 vs 50 scaled to a %d-token context): two layers %.2f nats, one layer %.2f nats.",
                f.two().icl().late(), f.two().icl().early(), s.context(), f.two().icl().score(), f.one().icl().score()));
        r.add(f.contrastShown()
                ? "So this run shows the framework paper's contrast: an induction head made of two composed heads forms in the "
                + "two-layer model and not in the one-layer model."
                : "This run does NOT show the expected contrast (see the numbers above): the induction head did not form as "
                + "described, or it does not rest on a previous-token head.");
        return r;
    }

    /** The induction score of causal uniform attention on [r r] with distinct r: mean over i = n … 2n − 1 of 1/(i + 1). */
    static double uniformInduction(int half) {
        double sum = 0;
        for (int i = half; i < 2 * half; i++) sum += 1.0 / (i + 1);
        return sum / half;
    }

    /** The self-contained report page (inline SVG, no scripts, no links). */
    public static String html(QuickstartFindings f, InductionRecipe s, String sample) {
        StringBuilder b = new StringBuilder();
        b.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Loupe quickstart: induction heads</title>\n"
                + "<style>body{font-family:sans-serif;margin:2em;max-width:70em;line-height:1.4}table{border-collapse:collapse}"
                + "td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}th{background:#f4f4f4}"
                + "figure{display:inline-block;margin:0 1em 1em 0;vertical-align:top}.hi{background:#dbe8f7;font-weight:bold}"
                + "code{background:#f4f4f4}</style></head><body>\n");
        b.append("<h1>Loupe quickstart: watching an induction head form</h1>\n");
        b.append(String.format(Locale.ROOT, "<p>Two attention-only transformers (%d heads, d_model %d, %d learned positions) were trained "
                        + "for %d steps (batch %d, lr %.0e) on generated text over %d symbols in which spans recur at varying distances, "
                        + "e.g. <code>%s</code>. One has two layers, one has one.</p>%n",
                s.heads(), s.dModel(), s.context(), s.steps(), s.batch(), s.lr(), s.vocab(), escape(sample)));
        b.append("<h2>What was found</h2>\n");
        for (String p : reading(f, s)) b.append("<p>").append(escape(p)).append("</p>\n");

        b.append("<h2>Training</h2>\n");
        List<SvgLineChart.Series> loss = new ArrayList<>(), ind = new ArrayList<>();
        double max = 0;
        for (TrainedModel m : List.of(f.two(), f.one())) {
            loss.add(new SvgLineChart.Series(m.name(), smooth(m.losses(), 20)));
            ind.add(new SvgLineChart.Series(m.name(), m.induction()));
            for (float x : m.losses()) max = Math.max(max, x);
        }
        b.append("<figure>").append(SvgLineChart.svg("Training loss (mean of 20 steps)", "step", "loss (nats)", loss, 0,
                Math.ceil(max))).append("</figure>\n");
        b.append("<figure>").append(SvgLineChart.svg("Best induction score of any head", "step", "induction score", ind, 0, 1))
                .append("</figure>\n");
        b.append(String.format(Locale.ROOT, "<p>Training took %.1f s (two layers) and %.1f s (one layer). Final held-out loss: "
                + "%.3f and %.3f nats (ln %d = %.3f for guessing).</p>%n", f.two().seconds(), f.one().seconds(), f.two().finalLoss(),
                f.one().finalLoss(), s.vocab(), Math.log(s.vocab())));

        b.append("<h2>Attention patterns</h2>\n<p>On a probe of 16 random symbols repeated once. The induction head draws a stripe "
                + "one position right of the diagonal offset by 16 (attending to the symbol after the earlier occurrence); the "
                + "previous-token head draws the line just below the diagonal.</p>\n");
        int[] probe = RepeatedTokens.generate(1, s.context() / 2, 0, s.vocab(), s.seed() + 99);
        List<String> tokens = new ArrayList<>();
        for (int id : probe) tokens.add(CopyCorpus.ALPHABET.substring(id, id + 1));
        b.append("<figure>").append(heatmap(f.two().gpt(), probe, tokens, f.induction2(), "attn-only-2l, induction head ")
                .svg()).append("</figure>\n");
        int[] prev = HeadScores.bestIn(f.two().scores().previousToken(), 0);
        b.append("<figure>").append(heatmap(f.two().gpt(), probe, tokens, prev, "attn-only-2l, previous-token head ")
                .svg()).append("</figure>\n");
        b.append("<figure>").append(heatmap(f.one().gpt(), probe, tokens, f.induction1(), "attn-only-1l, best induction head ")
                .svg()).append("</figure>\n");

        b.append("<h2>Every head</h2>\n<p>Scores on the standard probe, " + escape(f.two().detectorProbe().name()) + " (Olsson et al. 2022; "
                + "<code>loupe detect</code> and the explorer show the same numbers). Previous-token: attention to the token "
                + "before. Duplicate: attention to earlier occurrences of the same token. Induction: attention to the token after "
                + "an earlier occurrence.</p>\n");
        for (TrainedModel m : List.of(f.two(), f.one())) {
            b.append("<h3>").append(escape(m.name())).append(String.format(Locale.ROOT, " (ICL score %.3f)", m.icl().score()))
                    .append("</h3>\n<table><tr><th>head</th><th>previous-token</th><th>duplicate-token</th><th>induction</th></tr>\n");
            HeadScores sc = m.scores();
            for (int l = 0; l < sc.layers(); l++) {
                for (int h = 0; h < sc.heads(); h++) {
                    final int layer = l, head = h;
                    boolean hi = m == f.two() && (l == f.induction2()[0] && h == f.induction2()[1]
                            || f.previousHeads().stream().anyMatch(p -> p[0] == layer && p[1] == head));
                    b.append(String.format(Locale.ROOT, "<tr%s><td>%s</td><td>%.3f</td><td>%.3f</td><td>%.3f</td></tr>%n",
                            hi ? " class=\"hi\"" : "", HeadId.name(l, h), sc.previousToken()[l][h], sc.duplicateToken()[l][h], sc.induction()[l][h]));
                }
            }
            b.append("</table>\n");
        }
        b.append(String.format(Locale.ROOT, "<h3>Ablation: what head %s needs</h3>%n<p>Each layer-0 head's output replaced by its mean over the probe, one at a time, then all previous-token heads together.</p>%n<table><tr><th>mean-ablated layer-0 head</th>"
                + "<th>induction score of %s</th></tr>%n<tr><td>none</td><td>%.3f</td></tr>%n",
                QuickstartFindings.head(f.induction2()), QuickstartFindings.head(f.induction2()), f.source().baseline()));
        for (int h = 0; h < f.source().ablated()[0].length; h++) {
            b.append(String.format(Locale.ROOT, "<tr><td>%s</td><td>%.3f</td></tr>%n", HeadId.name(0, h), f.source().ablated()[0][h]));
        }
        b.append(String.format(Locale.ROOT, "<tr><td>all previous-token heads: %s</td><td>%.3f</td></tr>%n",
                escape(f.previousHeadsText()), f.withoutPrevious()));
        b.append("</table>\n<p>The models are saved next to this report: try <code>./loupe attention --model DIR/attn-only-2l "
                + "--text TEXT --out attention.html</code>, and <code>./loupe detect --model DIR/attn-only-2l</code> for the scores "
                + "above on the same probe. To read an induction circuit from the weights alone (the induction head's "
                + "K-composition with the previous-token head, against chance), run <code>./loupe reproduce induction</code>: it "
                + "trains a model in which one previous-token head carries the job. Run on this model "
                + "(<code>--model DIR/attn-only-2l</code>), its single-previous-token-head findings come out NOT MATCHED, "
                + "because here the previous-token heads share the job (the ablation table above).</p>\n</body></html>\n");
        return b.toString();
    }

    private static AttentionHeatmap heatmap(Gpt gpt, int[] ids, List<String> tokens, int[] lh, String title) {
        ActivationCache cache = gpt.runWithCache(ids, 1, ids.length,
                n -> n.equals("blocks." + lh[0] + ".attn.hook_pattern")).cache();
        Tensor p = cache.get("blocks." + lh[0] + ".attn.hook_pattern");
        return AttentionHeatmap.of(title + QuickstartFindings.head(lh), tokens, p, lh[1]);
    }

    /** (step, mean of the losses of each run of {@code every} steps). */
    static List<double[]> smooth(List<Float> losses, int every) {
        List<double[]> out = new ArrayList<>();
        for (int i = 0; i + every <= losses.size(); i += every) {
            double sum = 0;
            for (int k = i; k < i + every; k++) sum += losses.get(k);
            out.add(new double[] {i + every, sum / every});
        }
        return out;
    }
}
