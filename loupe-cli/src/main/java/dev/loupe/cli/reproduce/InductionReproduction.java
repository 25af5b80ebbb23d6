package dev.loupe.cli.reproduce;

import dev.loupe.cli.model.NonFiniteOption;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.analysis.circuits.Composition;
import dev.loupe.analysis.circuits.CompositionBaseline;
import dev.loupe.analysis.circuits.CompositionScores;
import dev.loupe.analysis.circuits.HeadId;
import dev.loupe.cli.ModelRef;
import dev.loupe.cli.QuietProgress;
import dev.loupe.cli.UsageException;
import dev.loupe.cli.circuits.CircuitsHtml;
import dev.loupe.cli.induction.CopyCorpus;
import dev.loupe.cli.induction.InductionRecipe;
import dev.loupe.cli.induction.TrainedModel;
import dev.loupe.cli.model.LoadedGpt;
import dev.loupe.model.Gpt;
import dev.loupe.tensor.io.AtomicFiles;
import dev.loupe.train.TokenData;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.IntFunction;
import java.util.stream.Collectors;

/**
 * {@code loupe reproduce induction}: in a two-layer attention-only transformer an induction head of
 * layer 1 finds the earlier occurrence of the current token through a previous-token head of layer 0
 * — its keys read what that head wrote, so the pair's K-composition score stands far above chance and
 * above every other pair ("A Mathematical Framework for Transformer Circuits", §"Two-Layer
 * Attention-Only Transformers", "Induction Heads"). Trains such a model on {@link CopyCorpus} text
 * ({@link InductionRecipe#reproduction}) or reads a given one (the quickstart's), finds the heads by
 * their behaviour, and checks the paper's weight-based reading against it.
 */
@Command(name = "induction", mixinStandardHelpOptions = true,
        description = {"Train a 2-layer attention-only transformer on generated text with recurring spans until an induction head "
                + "forms (about 30 s on 2 cores), or read a model you give with --model (such as the quickstart's "
                + "runs/quickstart/attn-only-2l), and check the paper's reading of it: the induction head of layer 1 K-composes "
                + "with the previous-token head of layer 0 — that pair's K-composition score ‖W_OV^prev · (W_QK^ind)ᵀ‖_F / "
                + "(‖W_OV^prev‖_F ‖W_QK^ind‖_F) stands far above the score of random matrices and above every other pair — and "
                + "the induction head copies. The heads are found by behaviour (attention on repeated random tokens, and which "
                + "ablation breaks the induction head), the composition from the weights alone.",
                "Writes report.md, report.json, circuits.html (composition heatmaps) and the model (when trained) to --out."},
        footer = {"%nExamples:", "  loupe reproduce induction", "  loupe reproduce induction --model runs/quickstart/attn-only-2l --out runs/qs-induction"})
final class InductionReproduction implements Callable<Integer> {
    @Mixin
    NonFiniteOption nonFinite;

    @Option(names = "--out", defaultValue = "runs/reproduce-induction", paramLabel = "DIR", description = "Output directory (default ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--steps", defaultValue = "4000", paramLabel = "N", description = "Training steps (default ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--seed", defaultValue = "1", paramLabel = "S", description = "Seed of the corpus, the weights and the probe (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--model", paramLabel = "DIR|NAME", converter = ModelRef.Converter.class,
            description = "Read this model (at least 2 layers) instead of training one, e.g. the quickstart's runs/quickstart/attn-only-2l.")
    ModelRef model;

    /** A composition score this many baseline standard deviations above the baseline mean is "far above chance". */
    static final double FAR_ABOVE_Z = 5;
    /** An induction head: attends from the second copy of a token to the token after its first copy this much (Olsson et al.). */
    static final double INDUCTION_BAR = 0.5;
    /** A previous-token head puts at least this share of attention on the token before (uniform over 32 tokens: ~0.13). */
    static final double PREVIOUS_BAR = 0.3;

    @Override
    public Integer call() {
        if (steps < 100 || steps > 100_000) throw new UsageException("--steps must be between 100 and 100000, got " + steps);
        Reproduction r = new Reproduction("induction", "Reproduction: two-layer attention-only transformers — induction heads and K-composition");
        r.paragraph("Paper (Elhage et al. 2021, \"Two-Layer Attention-Only Transformers\"): a head of layer 0 attends to the previous "
                + "token and writes it into the residual stream; a head of layer 1 — the induction head — reads that with its keys "
                + "(K-composition), so it attends from the current token A to the token B that followed an earlier A, and its OV circuit "
                + "copies B. From the weights alone the K-composition score of that pair stands out.");
        Gpt gpt;
        Path modelDir;
        int half;
        IntFunction<String> tokenText;
        if (model == null) {
            InductionRecipe s = InductionRecipe.reproduction(seed, steps);
            System.err.println("reproduce induction: training a 2-layer attention-only model (" + s.heads() + " heads, d_model "
                    + s.dModel() + ", context " + s.context() + ") for " + steps + " steps");
            TrainedModel trained = TrainedModel.train("attn-only-2l", 2, s, TokenData.split(s.corpus(seed, 400_000)),
                    s.corpus(seed + 1_000_003, 40_000));
            tokenText = s.tokenizer()::tokenText;
            gpt = trained.gpt();
            modelDir = out.resolve("model");
            half = s.context() / 2;
            describeTraining(r, s, trained);
        } else {
            LoadedGpt loaded = LoadedGpt.open(model, nonFinite.allowed());
            gpt = loaded.model();
            modelDir = loaded.dir();
            tokenText = loaded.tokenizer().<IntFunction<String>>map(t -> t::tokenText).orElse(null);
            if (gpt.config().nLayer() < 2) {
                throw new UsageException("--model " + model + " has " + gpt.config().nLayer() + (gpt.config().nLayer() == 1 ? " layer" : " layers")
                        + "; an induction circuit needs at least 2");
            }
            half = Math.min(gpt.config().nPositions() / 2, 64);
            if (half < 4) throw new UsageException("--model " + model + " has a context of " + gpt.config().nPositions() + " tokens; the probe needs 8");
            r.paragraph("Model: `%s` (%d layers × %d heads, d_model %d, mlp %s), read as given; not trained here.", model,
                    gpt.config().nLayer(), gpt.config().nHead(), gpt.config().dModel(), gpt.config().mlp().name().toLowerCase(Locale.ROOT));
        }
        System.err.println("reproduce induction: reading the heads (detectors, ablations, composition scores)");
        QuietProgress reading = new QuietProgress(System.err, "reproduce induction");
        InductionReading x = InductionReading.of(gpt, half, seed + 77, reading);
        report(r, x, half);
        AtomicFiles.writeString(out.resolve("circuits.html"), CircuitsHtml.page(gpt, tokenText, modelDir.toString(), reading));
        r.paragraph("Heatmaps of every Q-, K- and V-composition score against the baseline, and each head's copying and matching "
                + "scores: `circuits.html` (what `loupe circuits --model %s --html FILE` writes).", modelDir);
        String md = model == null ? r.write(out, gpt, InductionRecipe.reproduction(seed, steps).tokenizer())
                : r.writeReport(out, modelDir);
        System.out.print(md);
        System.out.println("\nwrote " + out.resolve("report.md") + ", " + out.resolve("report.json") + ", " + out.resolve("circuits.html")
                + (model == null ? " and " + modelDir : ""));
        return 0;
    }

    private static void describeTraining(Reproduction r, InductionRecipe s, TrainedModel t) {
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

    private static void report(Reproduction r, InductionReading x, int half) {
        HeadId ind = x.induction(), prev = x.previous();
        int layers = x.scores().layers(), heads = x.scores().heads();
        r.paragraph("Heads, measured on %d rows of %d random tokens repeated once: previous-token score (attention on the token "
                + "before), duplicate-token score, induction score (attention from the second copy of a token to the token after "
                + "its first copy), the OV copying score Σλ/Σ|λ| of the full circuit W_E·W_OV·W_U, and the induction score of %s "
                + "with the head mean-ablated (%s as is: %.2f).", InductionReading.probeRows(x.gpt()), half, ind, ind, x.inductionScore());
        r.line("| head | previous-token | duplicate | induction | OV copying | %s's induction score without it |", ind);
        r.line("|---|---|---|---|---|---|");
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
