package dev.loupe.analysis.detectors;

import dev.loupe.model.GptConfig;

import java.util.Locale;

/**
 * A named probe for the head detectors: {@code batch} sequences [r₁ … rₙ r₁ … rₙ] of n = {@code half}
 * random token ids in [{@code first}, {@code vocab}), drawn with {@code seed} ({@link RepeatedTokens}).
 * {@link #standard} is the one probe every Loupe view (detect, the explorer, the quickstart, the
 * induction reading) scores heads on, so that the same model gives the same scores everywhere; each
 * view prints {@link #name()} next to them.
 */
public record Probe(int batch, int half, int first, int vocab, long seed) {
    /** Sequences of the standard probe. */
    public static final int BATCH = 8;
    /** Longest half of the standard probe (shorter when the context is: 2·half must fit it). */
    public static final int MAX_HALF = 50;
    /** Seed of the standard probe's tokens. */
    public static final long SEED = 0;

    public Probe {
        if (half < 2 || batch < 1) throw new IllegalArgumentException("a probe needs half ≥ 2 and batch ≥ 1, got half " + half + ", batch " + batch);
        if (first < 0 || first >= vocab) throw new IllegalArgumentException("first id " + first + " outside vocab " + vocab);
    }

    /**
     * The standard probe of a model: {@value #BATCH} sequences of min({@value #MAX_HALF}, n_positions / 2)
     * tokens repeated once, seed 0, ids from 1 (id 0 is often BOS or padding) unless the vocabulary has
     * 2 ids or fewer. Throws when the context is shorter than 4 tokens (no repeated span fits).
     */
    public static Probe standard(GptConfig c) {
        return new Probe(BATCH, standardHalf(c), c.vocabSize() > 2 ? 1 : 0, c.vocabSize(), SEED);
    }

    /** The half-length of {@link #standard}: min({@value #MAX_HALF}, n_positions / 2); below 2 it cannot run. */
    public static int standardHalf(GptConfig c) {
        return Math.min(MAX_HALF, c.nPositions() / 2);
    }

    /** Token ids [batch · 2·half], row-major. */
    public int[] ids() {
        return RepeatedTokens.generate(batch, half, first, vocab, seed);
    }

    /** Positions of one sequence: 2·half. */
    public int seqLen() {
        return 2 * half;
    }

    /** What the probe is, for printing next to its scores, e.g. "8 × 2·16 repeated random tokens (ids 1–31), seed 0". */
    public String name() {
        return String.format(Locale.ROOT, "%d × 2·%d repeated random tokens (ids %d–%d), seed %d", batch, half, first, vocab - 1, seed);
    }
}
