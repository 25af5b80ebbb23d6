package dev.loupe.cli.reproduce;

import dev.loupe.analysis.circuits.FactoredMatrix;
import dev.loupe.analysis.circuits.HeadCircuits;
import dev.loupe.analysis.circuits.HeadId;
import dev.loupe.analysis.circuits.SkipTrigrams;
import dev.loupe.cli.UsageException;
import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.tokens.CharTokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

/**
 * {@code loupe reproduce skip-trigrams}: a 1-layer attention-only transformer is a bigram model plus
 * skip-trigrams "[source] … [destination] → [out]", and most of its heads copy: their full OV circuit
 * W_E·W_OV·W_U has mostly positive eigenvalues ("A Mathematical Framework for Transformer Circuits",
 * §"One-Layer Attention-Only Transformers", "Copying / Primitive In-Context Learning"). Trains one on a
 * generated corpus of "documents" that each reuse a few topic symbols (so a token seen earlier in the
 * context is likely again) and reports the copying score of every head against the freshly initialised
 * model's, the share of source tokens whose strongest OV output is the token itself, and skip-trigram tables.
 */
@Command(name = "skip-trigrams", mixinStandardHelpOptions = true,
        description = {"Train a 1-layer attention-only transformer on generated documents that reuse a few topic symbols, and "
                + "check the paper's reading: most heads copy (positive eigenvalue copying scores of the full OV circuit) and "
                + "the heads implement skip-trigrams [source] … [destination] → [out].",
                "Writes report.md, report.json and the model to --out."},
        footer = {"%nExample:", "  loupe reproduce skip-trigrams --out runs/skip"})
final class SkipTrigramReproduction implements Callable<Integer> {
    @Option(names = "--out", defaultValue = "runs/reproduce-skip-trigrams", paramLabel = "DIR", description = "Output directory (default ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--steps", defaultValue = "500", paramLabel = "N", description = "Training steps (default ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--seed", defaultValue = "1", paramLabel = "S", description = "Seed of the corpus and the weights (default ${DEFAULT-VALUE}).")
    long seed;

    static final int VOCAB = 32, D_MODEL = 64, HEADS = 4, SEQ = 32, DOC = 64, TOPIC = 4, BATCH = 16, TOKENS = 200_000;
    static final double TOPIC_SHARE = 0.75;

    @Override
    public Integer call() {
        if (steps < 20 || steps > 100_000) throw new UsageException("--steps must be between 20 and 100000, got " + steps);
        CharTokenizer tok = Reproduction.alphabet(VOCAB);
        int[] stream = documents(seed, TOKENS);
        GptConfig c = new GptConfig(VOCAB, SEQ, D_MODEL, 1, HEADS, 0, 1e-5f, false, GptConfig.Norm.PRE, GptConfig.Mlp.NONE,
                GptConfig.Positional.LEARNED);
        Gpt gpt = Gpt.create(c, seed);
        double[] before = copyingScores(new HeadCircuits(gpt));
        System.err.println("reproduce skip-trigrams: training a 1-layer attention-only model (" + HEADS + " heads, d_model "
                + D_MODEL + ") for " + steps + " steps");
        float[] loss = Reproduction.train(gpt, stream, BATCH, SEQ, steps, 3e-3, seed);
        HeadCircuits circuits = new HeadCircuits(gpt);
        double[] after = copyingScores(circuits);

        Reproduction r = new Reproduction("skip-trigrams", "Reproduction: one-layer attention-only transformers — skip-trigrams and copying heads");
        r.paragraph("Paper (Elhage et al. 2021, \"One-Layer Attention-Only Transformers\"): the model is a bigram model plus, per "
                + "head, skip-trigrams [source] … [destination] → [out] read from the QK circuit (which source the destination "
                + "attends to) and the OV circuit (which out logit that raises); most heads spend much of their capacity on "
                + "copying — the full OV circuit W_E·W_OV·W_U has mostly positive eigenvalues.");
        r.paragraph("Corpus: %,d tokens of generated documents of %d symbols over an alphabet of %d; each document picks %d topic "
                + "symbols and draws %.0f%% of its tokens from them (the rest uniformly), so a symbol already in the context is "
                + "likely to recur. Model: 1 layer, %d heads, d_model %d, attention only, untied, learned positions; %d steps of "
                + "AdamW (batch %d × %d), training loss %.3f → %.3f (ln %d = %.3f for uniform guessing).",
                TOKENS, DOC, VOCAB, TOPIC, 100 * TOPIC_SHARE, HEADS, D_MODEL, steps, BATCH, SEQ, loss[0], loss[1], VOCAB, Math.log(VOCAB));
        r.line("| head | copying score Σλ/Σ|λ| (trained) | at initialisation | sources whose top OV output is themselves |");
        r.line("|---|---|---|---|");
        int positive = 0, best = 0;
        double[] selfShare = new double[HEADS];
        var heads = r.json.putArray("heads");
        for (int h = 0; h < HEADS; h++) {
            selfShare[h] = selfShare(circuits.fullOv(0, h));
            if (after[h] > 0) positive++;
            if (after[h] > after[best]) best = h;
            r.line("| L0H%d | %+.3f | %+.3f | %.0f%% |", h, after[h], before[h], 100 * selfShare[h]);
            heads.addObject().put("layer", 0).put("head", h).put("ov_copying_score", after[h]).put("ov_copying_score_init", before[h])
                    .put("self_top_share", selfShare[h]);
        }
        r.line("");
        r.paragraph("Chance for the last column: 1/%d = %.0f%%.", VOCAB, 100.0 / VOCAB);
        r.line("Strongest skip-trigrams of L0H%d (the head with the largest copying score), by QK score:", best);
        r.line("");
        r.line("| source … destination → out | QK | OV |");
        r.line("|---|---|---|");
        int copies = 0;
        var tri = r.json.putArray("skip_trigrams");
        for (SkipTrigrams.SkipTrigram s : SkipTrigrams.of(circuits, 0, best, 10)) {
            if (s.out() == s.source()) copies++;
            r.line("| %s … %s → %s | %.3g | %.3g |", tok.tokenText(s.source()), tok.tokenText(s.destination()), tok.tokenText(s.out()), s.qk(), s.ov());
            tri.addObject().put("head", best).put("source", tok.tokenText(s.source())).put("destination", tok.tokenText(s.destination()))
                    .put("out", tok.tokenText(s.out())).put("qk", s.qk()).put("ov", s.ov());
        }
        r.line("");
        r.finding("most heads copy (positive OV copying score)", positive * 2 > HEADS,
                String.format(Locale.ROOT, "%d of %d heads have a positive copying score (%s); at initialisation: %s",
                        positive, HEADS, scores(after), scores(before)));
        double meanSelf = 0;
        for (double s : selfShare) meanSelf += s / HEADS;
        r.finding("the OV circuits raise the logit of the attended token itself (copying skip-trigrams \"a … b → a\")",
                meanSelf > 0.5, String.format(Locale.ROOT, "on average %.0f%% of source tokens have themselves as their strongest OV "
                        + "output (chance %.0f%%); %d of the 10 strongest skip-trigrams of L0H%d are copies", 100 * meanSelf, 100.0 / VOCAB, copies, best));
        r.json.put("positive_heads", positive).put("heads_total", HEADS).put("loss_first", loss[0]).put("loss_last", loss[1])
                .put("steps", steps).put("mean_self_top_share", meanSelf);
        System.out.print(r.write(out, gpt, tok));
        System.out.println("\nwrote " + out.resolve("report.md") + ", " + out.resolve("report.json") + " and " + out.resolve("model"));
        return 0;
    }

    static double[] copyingScores(HeadCircuits c) {
        double[] s = new double[c.heads()];
        for (int h = 0; h < s.length; h++) s[h] = c.ovCopyingScore(0, h);
        return s;
    }

    /** The share of rows of the full OV circuit whose largest entry is on the diagonal (the source token itself). */
    static double selfShare(FactoredMatrix ov) {
        int hits = 0;
        for (int i = 0; i < ov.rows(); i++) if (ov.topInRow(i, 1).getFirst().column() == i) hits++;
        return (double) hits / ov.rows();
    }

    /** Documents of DOC tokens, each drawing TOPIC_SHARE of its tokens from TOPIC symbols of its own. */
    static int[] documents(long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] out = new int[n];
        int[] topic = new int[TOPIC];
        for (int i = 0; i < n; i++) {
            if (i % DOC == 0) for (int k = 0; k < TOPIC; k++) topic[k] = r.nextInt(VOCAB);
            out[i] = r.nextDouble() < TOPIC_SHARE ? topic[r.nextInt(TOPIC)] : r.nextInt(VOCAB);
        }
        return out;
    }

    private static String scores(double[] s) {
        StringBuilder sb = new StringBuilder();
        for (double v : s) sb.append(sb.isEmpty() ? "" : ", ").append(String.format(Locale.ROOT, "%+.2f", v));
        return sb.toString();
    }
}
