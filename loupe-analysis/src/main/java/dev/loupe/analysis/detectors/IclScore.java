package dev.loupe.analysis.detectors;

import dev.loupe.model.Gpt;
import dev.loupe.tensor.Tensor;

/**
 * The in-context-learning score of Olsson et al. (2022): the mean loss on the token at a late
 * position minus the mean loss at an early one — how much more the model knows about a token when
 * it has read more of the context. Negative means the late tokens are predicted better. The paper
 * compares token 500 with token 50; a shorter context compares its last position with one tenth of
 * it, and the record says which positions were used.
 *
 * @param early     0-based position of the early token (the paper's 50)
 * @param late      0-based position of the late token (the paper's 500)
 * @param earlyLoss mean cross-entropy (nats) of predicting the token at {@code early}
 * @param lateLoss  mean cross-entropy of predicting the token at {@code late}
 * @param sequences how many sequences the means are over
 */
public record IclScore(int early, int late, double earlyLoss, double lateLoss, int sequences) {

    /** lateLoss − earlyLoss. */
    public double score() { return lateLoss - earlyLoss; }

    /** Positions (early, late): (50, 500) if a context of {@code seqLen} tokens allows, else (⌊(T−1)/10⌋, T − 1). */
    public static int[] positions(int seqLen) {
        if (seqLen > 500) return new int[] {50, 500};
        if (seqLen < 11) throw new IllegalArgumentException("an ICL score needs at least 11 tokens of context, got " + seqLen);
        return new int[] {(seqLen - 1) / 10, seqLen - 1};
    }

    /**
     * Measures on {@code sequences} windows of {@code seqLen} + 1 tokens taken from {@code tokens}
     * at evenly spaced offsets (deterministic); the token at position p is predicted from positions
     * 0 … p − 1, so position p's loss is read from logits row p − 1.
     */
    public static IclScore measure(Gpt gpt, int[] tokens, int seqLen, int sequences) {
        int[] pos = positions(seqLen);
        if (tokens.length < seqLen + 1) throw new IllegalArgumentException("need at least " + (seqLen + 1) + " tokens");
        int batch = Math.min(sequences, 32);
        double early = 0, late = 0;
        int done = 0;
        long span = tokens.length - seqLen - 1;
        while (done < sequences) {
            int b = Math.min(batch, sequences - done);
            int[] ids = new int[b * seqLen], next = new int[b * seqLen];
            for (int r = 0; r < b; r++) {
                int start = (int) (span * (done + r) / Math.max(1, sequences));
                System.arraycopy(tokens, start, ids, r * seqLen, seqLen);
                System.arraycopy(tokens, start + 1, next, r * seqLen, seqLen);
            }
            Tensor logits = gpt.logits(ids, b, seqLen); // [B, T, V]
            for (int r = 0; r < b; r++) {
                early += loss(logits, r, pos[0] - 1, next[r * seqLen + pos[0] - 1]);
                late += loss(logits, r, pos[1] - 1, next[r * seqLen + pos[1] - 1]);
            }
            done += b;
        }
        return new IclScore(pos[0], pos[1], early / sequences, late / sequences, sequences);
    }

    /** −log softmax(logits[b, i])[target], computed stably. */
    static double loss(Tensor logits, int b, int i, int target) {
        int v = logits.dim(2);
        double max = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < v; k++) max = Math.max(max, logits.get(b, i, k));
        double sum = 0;
        for (int k = 0; k < v; k++) sum += Math.exp(logits.get(b, i, k) - max);
        return Math.log(sum) + max - logits.get(b, i, target);
    }
}
