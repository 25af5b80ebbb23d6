package dev.loupe.experiments.induction;

import dev.loupe.model.GptConfig;
import dev.loupe.tokens.CharTokenizer;

import java.util.Arrays;

/**
 * A training recipe under which a two-layer attention-only model reliably forms an induction head
 * within a minute on 2 cores: a short context (32 learned positions get many updates each), a
 * 32-symbol alphabet, and {@link CopyCorpus} text with trigram structure besides the repeats, which
 * makes a previous-token head useful early on; the induction head then forms on top of it.
 *
 * @param repeatRate  probability that a recurring span starts at a position
 * @param trigram     probability that a symbol outside a span is the fixed successor of the two before it
 * @param weightDecay AdamW's decoupled weight decay
 */
public record InductionRecipe(long seed, int steps, int vocab, int context, int dModel, int heads, double lr, int warmup,
                              int batch, double repeatRate, double trigram, double weightDecay) {

    /** The quickstart's recipe: 4 heads per layer, no weight decay. */
    public static InductionRecipe quickstart(long seed, int steps) {
        return new InductionRecipe(seed, steps, 32, 32, 64, 4, 2e-3, 100, 32, 0.1, 0.5, 0.0);
    }

    /**
     * The recipe of {@code loupe reproduce induction}: 2 heads per layer and strong weight decay (1.0).
     * With 4 heads, layer 0 grows several partial previous-token heads that back each other up, and
     * the induction head's K-composition spreads over all of them; with 2 heads and weight decay that
     * removes what training does not use, one previous-token head carries the job and the composition
     * score can show it.
     */
    public static InductionRecipe reproduction(long seed, int steps) {
        return new InductionRecipe(seed, steps, 32, 32, 64, 2, 2e-3, 100, 32, 0.1, 0.5, 1.0);
    }

    /** Attention-only, pre-LN, untied, learned positions. */
    public GptConfig config(int layers) {
        return new GptConfig(vocab, context, dModel, layers, heads, 0, 1e-5f, false,
                GptConfig.Norm.PRE, GptConfig.Mlp.NONE, GptConfig.Positional.LEARNED);
    }

    /** One character per symbol, the first {@code vocab} of {@link CopyCorpus#ALPHABET}. */
    public CharTokenizer tokenizer() {
        return CharTokenizer.of(Arrays.asList(CopyCorpus.ALPHABET.substring(0, vocab).split("")));
    }

    /** The corpus: text with repeats at distances up to half the context, so both occurrences fit in a window (seeded). */
    public int[] corpus(long corpusSeed, int tokens) {
        return CopyCorpus.generate(corpusSeed, tokens, vocab, repeatRate, context / 2, trigram);
    }
}
