package dev.loupe.train;

import java.util.List;

/**
 * The training order of llm.c's {@code train_gpt2.c} (its {@code DataLoader} with
 * {@code should_shuffle = 1}, one process), reproduced draw for draw so that a run on the same
 * token files sees the same batches as llm.c:
 * <ul>
 *   <li>an {@link Mt19937} seeded with 42 ({@code manual_seed(42 + process_rank)});</li>
 *   <li>at the start of every epoch the shard order is shuffled in place (the previous epoch's order
 *       is shuffled again, it is not reset to the file order);</li>
 *   <li>on entering a shard of n tokens, its {@code (n − 1) / (B·T)} samples are put in a fresh random
 *       order; sample k is the tokens {@code [k·B·T, (k+1)·B·T + 1)}, exactly as in
 *       {@link SequentialLoader};</li>
 *   <li>after the last sample of the last shard the next epoch begins.</li>
 * </ul>
 * The seed is llm.c's and does not follow {@code --seed}. The whole state is still the batch count
 * {@link #position()}: {@link #seek} replays the generator from the start, skipping whole shards,
 * which costs one draw per sample passed (about 0.1 s per million batches, against milliseconds per
 * training step).
 */
public final class ShuffledLoader implements TokenLoader {
    /** llm.c's shuffle seed for process 0. */
    public static final int LLMC_SEED = 42;

    private final List<int[]> shards;
    private final int batch, seqLen;
    private final long[] samplesPerShard;
    private Mt19937 rng;
    private int[] shardOrder;       // llm.c's shard_indices: file index of the i-th shard of this epoch
    private int[] sampleOrder;      // llm.c's intra_shard_indices for the current shard
    private int currentShard;       // index into shardOrder
    private int currentSample;      // index into sampleOrder
    private long position;

    /**
     * @param shards token arrays in file (glob) order; each needs at least B·T + 1 tokens
     */
    public ShuffledLoader(List<int[]> shards, int batch, int seqLen) {
        if (shards.isEmpty()) throw new IllegalArgumentException("no token shards");
        this.shards = List.copyOf(shards);
        this.batch = batch;
        this.seqLen = seqLen;
        this.samplesPerShard = SequentialLoader.batchesPerShard(this.shards, batch, seqLen);
        for (long s : samplesPerShard) {
            if (s > Integer.MAX_VALUE - 8) throw new dev.loupe.LoupeException("a token shard holds more than 2^31 batches");
        }
        start();
    }

    /** llm.c's dataloader_init followed by its first dataloader_reset. */
    private void start() {
        rng = new Mt19937(LLMC_SEED);
        shardOrder = new int[shards.size()];
        for (int i = 0; i < shardOrder.length; i++) shardOrder[i] = i;
        position = 0;
        newEpoch();
    }

    /** llm.c's dataloader_reset: shuffle the shard order (in place), enter the first shard. */
    private void newEpoch() {
        currentShard = 0;
        rng.permute(shardOrder);
        enterShard();
    }

    /** llm.c's prepare_intra_shard_indices_: a fresh identity permutation of the shard's samples, shuffled. */
    private void enterShard() {
        currentSample = 0;
        int n = (int) samplesPerShard[shardOrder[currentShard]];
        sampleOrder = new int[n];
        for (int i = 0; i < n; i++) sampleOrder[i] = i;
        rng.permute(sampleOrder);
    }

    /** llm.c's dataloader_advance_: the next shard, or a new epoch after the last one. */
    private void advance() {
        if (currentShard == shardOrder.length - 1) {
            newEpoch();
        } else {
            currentShard++;
            enterShard();
        }
    }

    @Override
    public TokenBatch next() {
        if (currentSample >= sampleOrder.length) advance();
        TokenBatch b = SequentialLoader.sample(shards.get(shardOrder[currentShard]), sampleOrder[currentSample], batch, seqLen);
        currentSample++;
        position++;
        return b;
    }

    @Override public long position() { return position; }

    @Override
    public void seek(long target) {
        if (target < 0) throw new IllegalArgumentException("negative loader position " + target);
        start();
        long remaining = target;
        while (remaining > 0) {
            if (currentSample >= sampleOrder.length) advance();
            int take = (int) Math.min(remaining, sampleOrder.length - currentSample);
            currentSample += take;
            remaining -= take;
        }
        position = target;
    }

    @Override public String kind() { return "shuffled"; }
}
