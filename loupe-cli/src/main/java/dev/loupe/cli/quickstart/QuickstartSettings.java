package dev.loupe.cli.quickstart;

import dev.loupe.model.GptConfig;

/**
 * The quickstart's fixed recipe. Chosen so that the two-layer model reliably forms an induction
 * head within the budget: a short context (32 learned positions get many updates each), a
 * 32-symbol alphabet, and text with trigram structure besides the repeats, which makes a
 * previous-token head useful early on; the induction head then forms on top of it.
 */
record QuickstartSettings(long seed, int steps, int vocab, int context, int dModel, int heads, double lr, int warmup,
                          int batch, double repeatRate, double trigram) {

    static QuickstartSettings defaults(long seed, int steps) {
        return new QuickstartSettings(seed, steps, 32, 32, 64, 4, 2e-3, 100, 32, 0.1, 0.5);
    }

    /** Attention-only, pre-LN, untied, learned positions. */
    GptConfig config(int layers) {
        return new GptConfig(vocab, context, dModel, layers, heads, 0, 1e-5f, false,
                GptConfig.Norm.PRE, GptConfig.Mlp.NONE, GptConfig.Positional.LEARNED);
    }

    /** The corpus: text with repeats at distances up to half the context, so both occurrences fit in a window (seeded). */
    int[] corpus(long corpusSeed, int tokens) {
        return CopyCorpus.generate(corpusSeed, tokens, vocab, repeatRate, context / 2, trigram);
    }
}
