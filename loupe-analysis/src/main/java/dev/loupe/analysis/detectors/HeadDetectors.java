package dev.loupe.analysis.detectors;

import dev.loupe.model.Gpt;
import dev.loupe.model.ActivationCache;
import dev.loupe.tensor.Tensor;

/**
 * Runs the head detectors on a model: one forward pass over repeated random token sequences with
 * only {@code hook_pattern} cached, then the previous-token, duplicate-token and induction score of
 * every head (TransformerLens's {@code detect_head}, Olsson et al. 2022).
 */
public final class HeadDetectors {
    private HeadDetectors() {}

    /**
     * Scores of every head of {@code gpt} on {@code batch} sequences [r₁ … rₙ r₁ … rₙ] of n = half
     * random tokens in [first, vocab) ({@link RepeatedTokens}); 2·half must fit the context.
     */
    public static HeadScores onRepeatedTokens(Gpt gpt, int batch, int half, int first, long seed) {
        return on(gpt, new Probe(batch, half, first, gpt.config().vocabSize(), seed));
    }

    /** Scores of every head of {@code gpt} on {@code probe} (usually {@link Probe#standard}: the same numbers in every view). */
    public static HeadScores on(Gpt gpt, Probe probe) {
        if (probe.vocab() != gpt.config().vocabSize()) {
            throw new IllegalArgumentException("probe drawn for a vocabulary of " + probe.vocab() + ", the model has " + gpt.config().vocabSize());
        }
        return score(gpt, probe.ids(), probe.batch(), probe.seqLen(), probe.half());
    }

    /** Scores of every head of {@code gpt} on the given ids [B·T] (any text; half is only recorded). */
    public static HeadScores score(Gpt gpt, int[] ids, int batch, int seqLen, int half) {
        int layers = gpt.config().nLayer(), heads = gpt.config().nHead();
        ActivationCache cache = gpt.runWithCache(ids, batch, seqLen, ActivationCache.endingWith("attn.hook_pattern")).cache();
        double[][] prev = new double[layers][], dup = new double[layers][], ind = new double[layers][];
        for (int l = 0; l < layers; l++) {
            Tensor p = cache.get("blocks." + l + ".attn.hook_pattern"); // [B, H, T, T]
            prev[l] = AttentionScores.previousToken(p);
            dup[l] = AttentionScores.duplicateToken(p, ids);
            ind[l] = AttentionScores.induction(p, ids);
            assert prev[l].length == heads;
        }
        return new HeadScores(prev, dup, ind, batch, half);
    }
}
