package dev.loupe.experiments.induction;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.analysis.circuits.Composition;
import dev.loupe.analysis.circuits.CompositionBaseline;
import dev.loupe.analysis.circuits.CompositionScores;
import dev.loupe.analysis.circuits.HeadId;
import dev.loupe.experiments.report.Report;
import dev.loupe.model.GptConfig;

import java.nio.file.Path;
import java.util.Locale;
import java.util.stream.Collectors;

import static dev.loupe.experiments.induction.InductionReproduction.FAR_ABOVE_Z;
import static dev.loupe.experiments.induction.InductionReproduction.INDUCTION_BAR;
import static dev.loupe.experiments.induction.InductionReproduction.PREVIOUS_BAR;

/**
 * Writes an {@link InductionResult} as {@code report.md} and {@code report.json}, with the trained
 * model ({@code model/}) when it was trained here: the heads by behaviour, every composition score
 * against its random baseline, and the five findings of the paper checked.
 */
public final class InductionReport {
    private InductionReport() {}

    /** The report of {@code x}, to which a caller may add paragraphs before writing it. */
    public static Report of(InductionResult x) {
        Report r = new Report("induction", "Reproduction: two-layer attention-only transformers — induction heads and K-composition");
        r.paragraph("Paper (Elhage et al. 2021, \"Two-Layer Attention-Only Transformers\"): a head of layer 0 attends to the previous "
                + "token and writes it into the residual stream; a head of layer 1 — the induction head — reads that with its keys "
                + "(K-composition), so it attends from the current token A to the token B that followed an earlier A, and its OV circuit "
                + "copies B. From the weights alone the K-composition score of that pair stands out.");
        if (x.wasTrained()) {
            describeTraining(r, x.recipe(), x.trained());
        } else {
            GptConfig c = x.gpt().config();
            r.paragraph("Model: `%s` (%d layers × %d heads, d_model %d, mlp %s), read as given; not trained here.", x.modelName(),
                    c.nLayer(), c.nHead(), c.dModel(), c.mlp().name().toLowerCase(Locale.ROOT));
        }
        reading(r, x.reading());
        return r;
    }

    /** Where {@link #write} puts the model read: {@code out/model} when trained here, else {@code given}. */
    public static Path modelDir(InductionResult x, Path out, Path given) {
        return x.wasTrained() ? out.resolve("model") : given;
    }

    /**
     * Writes {@code r} (from {@link #of}) as out/report.md and out/report.json, and the model with its
     * tokenizer to out/model when it was trained here; {@code given} is the directory of a given model
     * (ignored otherwise). Returns the Markdown.
     */
    public static String write(Path out, InductionResult x, Report r, Path given) {
        return x.wasTrained() ? r.write(out, x.gpt(), x.recipe().tokenizer()) : r.writeReport(out, given);
    }

    private static void describeTraining(Report r, InductionRecipe s, TrainedModel t) {
        r.paragraph("Corpus: generated text over %d symbols; a span of 3–12 symbols recurs from up to %d symbols back at %.0f%% of "
                + "positions, and %.0f%% of the other symbols are a fixed function of the two before them (trigram structure, which "
                + "makes a previous-token head useful early). Model: 2 layers × %d heads, d_model %d, attention only, pre-LN, learned "
                + "positions, context %d; %d steps of AdamW (batch %d, lr %.0e, weight decay %.1f), %.0f s. Held-out loss %.3f "
                + "(ln %d = %.3f for uniform guessing); in-context learning: the loss at token %d is %.2f nats below the loss at token %d.",
                s.vocab(), s.context() / 2, 100 * s.repeatRate(), 100 * s.trigram(), s.heads(), s.dModel(), s.context(), s.steps(),
                s.batch(), s.lr(), s.weightDecay(), t.seconds(), t.finalLoss(), s.vocab(), Math.log(s.vocab()), t.icl().late(),
                -t.icl().score(), t.icl().early());
        StringBuilder curve = new StringBuilder();
        ArrayNode c = r.json.putArray("induction_during_training");
        for (double[] p : t.induction()) {
            if ((int) p[0] % 500 == 0 || (int) p[0] == s.steps()) curve.append(String.format(Locale.ROOT, "%s%d: %.2f", curve.isEmpty() ? "" : ", ", (int) p[0], p[1]));
            c.addObject().put("step", (int) p[0]).put("best_induction_score", p[1]);
        }
        r.paragraph("Best induction score of any head during training (step: score): %s.", curve);
        r.json.put("steps", s.steps()).put("seconds", t.seconds()).put("held_out_loss", t.finalLoss()).put("icl_score", t.icl().score());
    }

    private static void reading(Report r, InductionReading x) {
        HeadId ind = x.induction(), prev = x.previous();
        int layers = x.scores().layers(), heads = x.scores().heads();
        r.paragraph("Heads, measured on the standard probe, %s (the numbers of loupe detect and the explorer): previous-token score (attention on the token "
                + "before), duplicate-token score, induction score (attention from the second copy of a token to the token after "
                + "its first copy), the OV copying score Σλ/Σ|λ| of the full circuit W_E·W_OV·W_U, and the induction score of %s "
                + "with the head mean-ablated (%s as is: %.2f).", x.probe().name(), ind, ind, x.inductionScore());
        r.line("| head | previous-token | duplicate | induction | OV copying | %s's induction score without it |", ind);
        r.line("|---|---|---|---|---|---|");
        r.json.put("probe", x.probe().name());
        ArrayNode hs = r.json.putArray("heads");
        for (int l = 0; l < layers; l++) {
            for (int h = 0; h < heads; h++) {
                boolean earlier = l < ind.layer();
                double ablated = earlier ? x.source().ablated()[l][h] : Double.NaN;
                r.line("| L%dH%d | %.2f | %.2f | %.2f | %+.2f | %s |", l, h, x.scores().previousToken()[l][h], x.scores().duplicateToken()[l][h],
                        x.scores().induction()[l][h], x.copying()[l][h], earlier ? String.format(Locale.ROOT, "%.2f", ablated) : "");
                ObjectNode o = hs.addObject().put("layer", l).put("head", h).put("prev_token_score", x.scores().previousToken()[l][h])
                        .put("duplicate_score", x.scores().duplicateToken()[l][h]).put("induction_score", x.scores().induction()[l][h])
                        .put("ov_copying_score", x.copying()[l][h]);
                if (earlier) o.put("induction_score_with_head_ablated", ablated);
            }
        }
        r.line("");
        r.paragraph("Induction head: %s (the strongest in layers ≥ 1). Previous-token head: %s (the strongest below it).", ind, prev);

        r.line("Composition scores ‖L·R‖_F / (‖L‖_F ‖R‖_F) from raw weights, writer → reader (L = W_OV of the writer; Q: R = W_QK, "
                + "K: R = W_QKᵀ, V: R = W_OV of the reader), with z = baseline standard deviations above the mean score of random "
                + "factors of the same shapes (%d draws):", InductionReading.BASELINE_DRAWS);
        r.line("");
        r.line("| writer → reader | Q | K | V |");
        r.line("|---|---|---|---|");
        ArrayNode comp = r.json.putArray("composition");
        for (CompositionScores.Pair p : x.composition().pairs()) {
            boolean thePair = p.from().equals(prev) && p.to().equals(ind);
            r.line("| %s%s → %s%s | %.3f (z %+.1f) | %.3f (z %+.1f) | %.3f (z %+.1f) |", thePair ? "**" : "", p.from(), p.to(),
                    thePair ? "**" : "", p.q(), z(x, Composition.Q, p.q()), p.k(), z(x, Composition.K, p.k()), p.v(), z(x, Composition.V, p.v()));
            ObjectNode o = comp.addObject();
            o.putArray("from").add(p.from().layer()).add(p.from().head());
            o.putArray("to").add(p.to().layer()).add(p.to().head());
            o.put("q", p.q()).put("k", p.k()).put("v", p.v());
        }
        ObjectNode base = r.json.putObject("baseline");
        StringBuilder baseText = new StringBuilder();
        for (Composition k : Composition.values()) {
            CompositionBaseline b = x.baselines().get(k);
            base.putObject(k.name().toLowerCase(Locale.ROOT)).put("mean", b.mean()).put("std", b.std()).put("draws", b.draws());
            baseText.append(String.format(Locale.ROOT, "%s%s %.3f ± %.3f", baseText.isEmpty() ? "" : ", ", k, b.mean(), b.std()));
        }
        r.line("");
        r.paragraph("Baseline (mean ± std): %s.", baseText);

        var runnerUp = x.runnerUp(Composition.K);
        double k = x.pairScore(Composition.K), kz = x.pairZ(Composition.K);
        int rank = x.pairRank(Composition.K);
        ObjectNode pair = r.json.putObject("pair");
        pair.putArray("previous_token_head").add(prev.layer()).add(prev.head());
        pair.putArray("induction_head").add(ind.layer()).add(ind.head());
        pair.put("k", k).put("k_z", kz).put("k_rank", rank).put("pairs", x.composition().pairs().size())
                .put("q_z", x.pairZ(Composition.Q)).put("v_z", x.pairZ(Composition.V))
                .put("induction_score", x.inductionScore()).put("previous_token_score", x.previousScore())
                .put("induction_score_without_previous", x.withoutPrevious());
        runnerUp.ifPresent(p -> {
            ObjectNode o = pair.putObject("runner_up");
            o.putArray("from").add(p.from().layer()).add(p.from().head());
            o.putArray("to").add(p.to().layer()).add(p.to().head());
            o.put("k", p.k());
        });

        r.finding("an induction head forms in layer 1 or later (induction score ≥ " + INDUCTION_BAR + " on repeated random tokens)",
                x.inductionScore() >= INDUCTION_BAR, String.format(Locale.ROOT, "%s: %.2f (best of layer 0: %.2f)", ind, x.inductionScore(),
                        max(x.scores().induction()[0])));
        int[] strongest = x.source().strongest();
        boolean rests = x.previousScore() >= PREVIOUS_BAR && strongest[0] == prev.layer() && strongest[1] == prev.head()
                && x.withoutPrevious() < x.inductionScore() / 2;
        String together = "";
        if (!rests && x.previousHeads(PREVIOUS_BAR).size() > 1) {
            together = String.format(Locale.ROOT, "; the earlier heads with previous-token scores ≥ %.1f (%s) ablated together take it to "
                    + "%.2f: they back each other up, and no one of them is the previous-token head", PREVIOUS_BAR,
                    x.previousHeads(PREVIOUS_BAR).stream().map(HeadId::toString).collect(Collectors.joining(", ")), x.withoutAllPrevious(PREVIOUS_BAR));
        }
        r.finding("it rests on a previous-token head of an earlier layer (ablating that head, more than any other, at least halves the induction score)",
                rests, String.format(Locale.ROOT, "%s attends %.0f%% to the previous token; mean-ablating it takes %s's induction score "
                        + "from %.2f to %.2f; the head whose ablation hurts most is L%dH%d%s", prev, 100 * x.previousScore(), ind,
                        x.inductionScore(), x.withoutPrevious(), strongest[0], strongest[1], together));
        CompositionBaseline kb = x.baselines().get(Composition.K);
        r.finding(String.format(Locale.ROOT, "the induction head's K-composition with the previous-token head stands far above the random "
                        + "baseline (≥ %.0f standard deviations)", FAR_ABOVE_Z), kz >= FAR_ABOVE_Z,
                String.format(Locale.ROOT, "%s → %s: K %.3f against %.3f ± %.3f, z = %.1f (%.2f× the baseline mean); the same pair's Q z = %.1f, V z = %.1f",
                        prev, ind, k, kb.mean(), kb.std(), kz, k / kb.mean(), x.pairZ(Composition.Q), x.pairZ(Composition.V)));
        double margin = runnerUp.map(p -> (k - p.k()) / kb.std()).orElse(Double.NaN);
        r.finding("and above every other pair's K-composition (by at least one baseline standard deviation)",
                rank == 1 && margin >= 1,
                runnerUp.map(p -> String.format(Locale.ROOT, "rank %d of %d pairs; the strongest other pair is %s → %s with K %.3f (z %.1f), "
                                + "%.3f below (%.1f baseline standard deviations)", rank, x.composition().pairs().size(), p.from(), p.to(),
                                p.k(), kb.zScore(p.k()), k - p.k(), margin))
                        .orElse("the model has no other pair to compare with"));
        double copy = x.copying()[ind.layer()][ind.head()];
        r.finding("the induction head copies (positive OV copying score)", copy > 0,
                String.format(Locale.ROOT, "%s: %+.2f", ind, copy));
    }

    private static double z(InductionReading x, Composition kind, double score) {
        return x.baselines().get(kind).zScore(score);
    }

    private static double max(double[] v) {
        double m = Double.NEGATIVE_INFINITY;
        for (double d : v) m = Math.max(m, d);
        return m;
    }
}
