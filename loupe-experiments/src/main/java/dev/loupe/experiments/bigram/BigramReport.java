package dev.loupe.experiments.bigram;

import dev.loupe.experiments.report.Report;

import java.nio.file.Path;
import java.util.Locale;

/** Writes a {@link BigramResult} as {@code report.md}, {@code report.json} and the trained model ({@code model/}). */
public final class BigramReport {
    private BigramReport() {}

    /** The report of {@code x}: prose, the comparison table, the two findings and their JSON. */
    public static Report of(BigramResult x) {
        int vocab = BigramReproduction.VOCAB, steps = x.settings().steps();
        Report r = new Report("bigram", "Reproduction: a 0-layer transformer is a bigram table");
        r.paragraph("Paper (Elhage et al. 2021, \"Zero-Layer Transformers\"): with no layers, the logits are W_U·W_E applied to the "
                + "current token, so the model can only learn bigram statistics, and W_E·W_U (row convention) is that bigram table.");
        r.paragraph("Corpus: %,d tokens sampled from a random Markov chain over %d symbols (each row of the transition matrix "
                + "a softmax of 3·N(0,1) logits; bigram entropy %.3f nats, unigram entropy %.3f nats). Model: 0 layers, d_model %d, "
                + "untied embedding and unembedding, no positional embedding, final LayerNorm; %d steps of AdamW (batch %d × %d), "
                + "training loss %.3f → %.3f.", BigramReproduction.TOKENS, vocab, x.bigramEntropy(), x.unigramEntropy(),
                BigramReproduction.D_MODEL, steps, BigramReproduction.BATCH, BigramReproduction.SEQ, x.lossFirst(), x.lossLast());
        r.paragraph("Comparison, per current token a, of the counted bigram distribution q(·|a) with (1) the model's next-token "
                + "distribution (its real output, through the final LayerNorm) and (2) softmax of the raw direct path W_E·W_U "
                + "(no LayerNorm); KL(q‖p) averaged over a with the corpus frequency of a. Reference: the unigram distribution, "
                + "the best prediction without context.");
        r.line("| prediction | mean KL(q‖p) nats | top-1 agreement with q |");
        r.line("|---|---|---|");
        r.line("| model output | %.4f | %d / %d |", x.klModel(), x.top1Model(), vocab);
        r.line("| softmax(W_E·W_U) | %.4f | %d / %d |", x.klDirectPath(), x.top1DirectPath(), vocab);
        r.line("| unigram (no context) | %.4f | — |", x.klUnigram());
        r.line("");
        r.finding("the 0-layer model's next-token distribution is the corpus's bigram distribution", x.modelMatched(),
                String.format(Locale.ROOT, "mean KL %.4f nats (%.1f%% of the unigram reference %.4f), top-1 agreement %d/%d",
                        x.klModel(), 100 * x.klModel() / x.klUnigram(), x.klUnigram(), x.top1Model(), vocab));
        r.finding("W_E·W_U alone (the direct path, without the final LayerNorm) is the bigram table", x.directPathMatched(),
                String.format(Locale.ROOT, "softmax(W_E·W_U): mean KL %.4f nats, top-1 agreement %d/%d%s", x.klDirectPath(),
                        x.top1DirectPath(), vocab, x.klDirectPath() > 2 * x.klModel() ? "; the final LayerNorm sits between W_E and "
                                + "W_U in this model: its shift β adds β·W_U to every row's logits and its gain γ and per-token scale "
                                + "re-weight the directions, so the table the model uses is LN(W_E)·W_U, not the raw product (the "
                                + "paper's simplified model has no LayerNorm)" : ""));
        r.json.put("kl_model", x.klModel()).put("kl_direct_path", x.klDirectPath()).put("kl_unigram", x.klUnigram())
                .put("top1_model", x.top1Model()).put("top1_direct_path", x.top1DirectPath()).put("vocab", vocab)
                .put("bigram_entropy", x.bigramEntropy()).put("loss_first", x.lossFirst()).put("loss_last", x.lossLast()).put("steps", steps);
        return r;
    }

    /** Writes out/model, out/report.md and out/report.json; returns the Markdown. */
    public static String write(Path out, BigramResult x) {
        return of(x).write(out, x.gpt(), x.tokenizer());
    }
}
