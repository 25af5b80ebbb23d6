package dev.loupe.experiments.skiptrigrams;

import dev.loupe.analysis.circuits.SkipTrigrams;
import dev.loupe.experiments.report.Report;
import dev.loupe.tokens.CharTokenizer;

import java.nio.file.Path;
import java.util.Locale;

import static dev.loupe.experiments.skiptrigrams.SkipTrigramReproduction.HEADS;
import static dev.loupe.experiments.skiptrigrams.SkipTrigramReproduction.VOCAB;

/** Writes a {@link SkipTrigramResult} as {@code report.md}, {@code report.json} and the trained model ({@code model/}). */
public final class SkipTrigramReport {
    private SkipTrigramReport() {}

    /** The report of {@code x}: prose, the head table, the skip-trigram table, the two findings and their JSON. */
    public static Report of(SkipTrigramResult x) {
        CharTokenizer tok = x.tokenizer();
        int steps = x.settings().steps();
        Report r = new Report("skip-trigrams", "Reproduction: one-layer attention-only transformers — skip-trigrams and copying heads");
        r.paragraph("Paper (Elhage et al. 2021, \"One-Layer Attention-Only Transformers\"): the model is a bigram model plus, per "
                + "head, skip-trigrams [source] … [destination] → [out] read from the QK circuit (which source the destination "
                + "attends to) and the OV circuit (which out logit that raises); most heads spend much of their capacity on "
                + "copying — the full OV circuit W_E·W_OV·W_U has mostly positive eigenvalues.");
        r.paragraph("Corpus: %,d tokens of generated documents of %d symbols over an alphabet of %d; each document picks %d topic "
                + "symbols and draws %.0f%% of its tokens from them (the rest uniformly), so a symbol already in the context is "
                + "likely to recur. Model: 1 layer, %d heads, d_model %d, attention only, untied, learned positions; %d steps of "
                + "AdamW (batch %d × %d), training loss %.3f → %.3f (ln %d = %.3f for uniform guessing).",
                SkipTrigramReproduction.TOKENS, TopicDocuments.DOC, VOCAB, TopicDocuments.TOPIC, 100 * TopicDocuments.TOPIC_SHARE,
                HEADS, SkipTrigramReproduction.D_MODEL, steps, SkipTrigramReproduction.BATCH, SkipTrigramReproduction.SEQ,
                x.lossFirst(), x.lossLast(), VOCAB, Math.log(VOCAB));
        r.line("| head | copying score Σλ/Σ|λ| (trained) | at initialisation | sources whose top OV output is themselves |");
        r.line("|---|---|---|---|");
        var heads = r.json.putArray("heads");
        for (int h = 0; h < HEADS; h++) {
            r.line("| L0H%d | %+.3f | %+.3f | %.0f%% |", h, x.copying()[h], x.copyingInit()[h], 100 * x.selfShare()[h]);
            heads.addObject().put("layer", 0).put("head", h).put("ov_copying_score", x.copying()[h])
                    .put("ov_copying_score_init", x.copyingInit()[h]).put("self_top_share", x.selfShare()[h]);
        }
        r.line("");
        r.paragraph("Chance for the last column: 1/%d = %.0f%%.", VOCAB, 100.0 / VOCAB);
        r.line("Strongest skip-trigrams of L0H%d (the head with the largest copying score), by QK score:", x.best());
        r.line("");
        r.line("| source … destination → out | QK | OV |");
        r.line("|---|---|---|");
        var tri = r.json.putArray("skip_trigrams");
        for (SkipTrigrams.SkipTrigram s : x.skipTrigrams()) {
            r.line("| %s … %s → %s | %.3g | %.3g |", tok.tokenText(s.source()), tok.tokenText(s.destination()), tok.tokenText(s.out()), s.qk(), s.ov());
            tri.addObject().put("head", x.best()).put("source", tok.tokenText(s.source())).put("destination", tok.tokenText(s.destination()))
                    .put("out", tok.tokenText(s.out())).put("qk", s.qk()).put("ov", s.ov());
        }
        r.line("");
        int positive = x.positiveHeads();
        r.finding("most heads copy (positive OV copying score)", positive * 2 > HEADS,
                String.format(Locale.ROOT, "%d of %d heads have a positive copying score (%s); at initialisation: %s",
                        positive, HEADS, scores(x.copying()), scores(x.copyingInit())));
        double meanSelf = x.meanSelfShare();
        r.finding("the OV circuits raise the logit of the attended token itself (copying skip-trigrams \"a … b → a\")",
                meanSelf > 0.5, String.format(Locale.ROOT, "on average %.0f%% of source tokens have themselves as their strongest OV "
                        + "output (chance %.0f%%); %d of the 10 strongest skip-trigrams of L0H%d are copies", 100 * meanSelf,
                        100.0 / VOCAB, x.copies(), x.best()));
        r.json.put("positive_heads", positive).put("heads_total", HEADS).put("loss_first", x.lossFirst()).put("loss_last", x.lossLast())
                .put("steps", steps).put("mean_self_top_share", meanSelf);
        return r;
    }

    /** Writes out/model, out/report.md and out/report.json; returns the Markdown. */
    public static String write(Path out, SkipTrigramResult x) {
        return of(x).write(out, x.gpt(), x.tokenizer());
    }

    private static String scores(double[] s) {
        StringBuilder sb = new StringBuilder();
        for (double v : s) sb.append(sb.isEmpty() ? "" : ", ").append(String.format(Locale.ROOT, "%+.2f", v));
        return sb.toString();
    }
}
