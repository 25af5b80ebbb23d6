package dev.loupe.train;

import dev.loupe.model.TrainableModel;

import java.util.List;

/**
 * Mean next-token cross-entropy of a model over held-out tokens: windows of T + 1 tokens that
 * advance by T from each shard in order (consecutive windows share one token, the last target of one
 * being the first input of the next, as in llm.c's loader), so every token after the first is
 * predicted once; evaluated B rows at a time, up to a maximum number of rows. The same tokens every time, so evaluation losses of a run are comparable
 * and evaluation never disturbs the training loader.
 */
public final class Evaluator {
    private Evaluator() {}

    /** The result: mean loss over {@code tokens} predicted tokens; perplexity = exp(loss). */
    public record Result(double loss, long tokens) {
        public double perplexity() { return Math.exp(loss); }
    }

    /** Told how far an evaluation has got: {@code done} of {@code total} windows (rows) evaluated. */
    @FunctionalInterface
    public interface Listener {
        Listener NONE = (done, total) -> {};

        void rows(long done, long total);
    }

    /** Predicted tokens in all windows of T + 1 tokens (stride T) of the shards: T per window, as {@link #evaluate} counts them. */
    public static long windowTokens(List<int[]> shards, int seqLen) {
        long windows = 0;
        for (int[] tokens : shards) windows += tokens.length > seqLen ? (tokens.length - 1) / seqLen : 0;
        return windows * seqLen;
    }

    /**
     * Evaluates {@code model} on up to {@code maxRows} windows of {@code seqLen} + 1 tokens, in batches of
     * {@code batch} rows; {@code maxRows} ≤ 0 means all windows.
     *
     * @throws IllegalArgumentException when no shard holds a single window
     */
    public static Result evaluate(TrainableModel model, List<int[]> shards, int batch, int seqLen, long maxRows) {
        return evaluate(model, shards, batch, seqLen, maxRows, Listener.NONE);
    }

    /**
     * {@link #evaluate(TrainableModel, List, int, int, long)}, telling {@code listener} after every batch
     * how many of the windows are done (a whole validation set of a large model takes minutes).
     */
    public static Result evaluate(TrainableModel model, List<int[]> shards, int batch, int seqLen, long maxRows,
                                  Listener listener) {
        long limit = maxRows <= 0 ? Long.MAX_VALUE : maxRows;
        long total = Math.min(limit, windowTokens(shards, seqLen) / seqLen);
        double weighted = 0;
        long rows = 0;
        int[] inputs = new int[batch * seqLen], targets = new int[batch * seqLen];
        int filled = 0;
        outer:
        for (int[] tokens : shards) {
            for (int start = 0; start + seqLen + 1 <= tokens.length; start += seqLen) {
                if (rows + filled >= limit) break outer;
                System.arraycopy(tokens, start, inputs, filled * seqLen, seqLen);
                System.arraycopy(tokens, start + 1, targets, filled * seqLen, seqLen);
                if (++filled == batch) {
                    weighted += (double) model.loss(inputs, targets, batch, seqLen) * batch;
                    rows += batch;
                    filled = 0;
                    listener.rows(rows, total);
                }
            }
        }
        if (filled > 0) {
            int[] in = java.util.Arrays.copyOf(inputs, filled * seqLen), tg = java.util.Arrays.copyOf(targets, filled * seqLen);
            weighted += (double) model.loss(in, tg, filled, seqLen) * filled;
            rows += filled;
            listener.rows(rows, total);
        }
        if (rows == 0) {
            throw new IllegalArgumentException("the evaluation tokens are shorter than one window of " + (seqLen + 1) + " tokens");
        }
        return new Result(weighted / rows, rows * seqLen);
    }
}
