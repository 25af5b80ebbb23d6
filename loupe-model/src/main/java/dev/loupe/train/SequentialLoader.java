package dev.loupe.train;

import java.util.List;

/**
 * Consecutive, non-overlapping batches through one or more token shards, exactly like llm.c's
 * {@code dataloader_next_batch} without shuffling ({@code should_shuffle = 0}, single process: the
 * loader llm.c uses for validation, and for training before it learned to shuffle; since 2024
 * {@code train_gpt2.c} trains with the shuffled order of {@link ShuffledLoader}): a shard of n tokens holds
 * {@code s = (n − 1) / (B·T)} batches, and its batch k is the tokens
 * {@code [k·B·T, (k+1)·B·T + 1)} (inputs are the first B·T, targets the same shifted by one).
 * After the last whole batch of a shard the loader moves to the next shard; after the last shard it
 * starts again at batch 0 of the first. Tokens past the last whole batch of a shard are never used
 * (llm.c's "wrap at the end").
 */
public final class SequentialLoader implements TokenLoader {
    private final List<int[]> shards;
    private final int batch, seqLen;
    private final long[] batchesPerShard;
    private final long batchesPerEpoch;
    private long position;

    /**
     * @param shards token arrays, read in this order; each needs at least B·T + 1 tokens
     */
    public SequentialLoader(List<int[]> shards, int batch, int seqLen) {
        if (shards.isEmpty()) throw new IllegalArgumentException("no token shards");
        this.shards = List.copyOf(shards);
        this.batch = batch;
        this.seqLen = seqLen;
        this.batchesPerShard = batchesPerShard(this.shards, batch, seqLen);
        long total = 0;
        for (long b : batchesPerShard) total += b;
        this.batchesPerEpoch = total;
    }

    /**
     * How many whole batches of B·T (+ 1) tokens each shard holds, {@code (n − 1) / (B·T)} as llm.c's
     * {@code shard_num_samples}.
     *
     * @throws dev.loupe.LoupeException when a shard holds fewer than B·T + 1 tokens
     */
    static long[] batchesPerShard(List<int[]> shards, int batch, int seqLen) {
        long[] out = new long[shards.size()];
        long bt = (long) batch * seqLen;
        for (int i = 0; i < shards.size(); i++) {
            int n = shards.get(i).length;
            if (n < bt + 1) {
                throw new dev.loupe.LoupeException("token shard " + (i + 1) + " holds " + n + " tokens, fewer than one batch of "
                        + batch + " × " + seqLen + " + 1 = " + (bt + 1) + "; use a smaller --batch or --seq");
            }
            out[i] = (n - 1) / bt;
        }
        return out;
    }

    /** Batches in one pass over all shards. */
    public long batchesPerEpoch() { return batchesPerEpoch; }

    @Override
    public TokenBatch next() {
        long k = position % batchesPerEpoch;
        int shard = 0;
        while (k >= batchesPerShard[shard]) k -= batchesPerShard[shard++];
        position++;
        return sample(shards.get(shard), k, batch, seqLen);
    }

    /** llm.c's sample k of a shard: tokens {@code [k·B·T, (k+1)·B·T + 1)} as B rows of T inputs and their targets. */
    static TokenBatch sample(int[] tokens, long k, int batch, int seqLen) {
        int bt = batch * seqLen;
        int start = Math.toIntExact(k * bt);
        int[] inputs = new int[bt], targets = new int[bt];
        System.arraycopy(tokens, start, inputs, 0, bt);
        System.arraycopy(tokens, start + 1, targets, 0, bt);
        return new TokenBatch(inputs, targets, batch, seqLen);
    }

    @Override public long position() { return position; }

    @Override
    public void seek(long position) {
        if (position < 0) throw new IllegalArgumentException("negative loader position " + position);
        this.position = position;
    }

    @Override public String kind() { return "sequential"; }
}
