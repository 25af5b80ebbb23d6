package dev.loupe.train;

import java.util.List;
import java.util.SplittableRandom;

/**
 * Batches of B windows of T + 1 tokens at uniformly random offsets (nanoGPT's {@code get_batch}):
 * window b of batch i starts at an offset drawn from a generator seeded with (seed, i), so batch i
 * depends only on the seed and i and resuming at position i needs no other generator state. With
 * several shards, the offset is drawn over the windows of all shards together (a window never
 * crosses from one shard into the next), so every window is equally likely.
 */
public final class RandomLoader implements TokenLoader {
    private final List<int[]> shards;
    private final int batch, seqLen;
    private final long seed;
    private final long[] windowsBefore;
    private final long windows;
    private long position;

    public RandomLoader(List<int[]> shards, int batch, int seqLen, long seed) {
        if (shards.isEmpty()) throw new IllegalArgumentException("no token shards");
        this.shards = List.copyOf(shards);
        this.batch = batch;
        this.seqLen = seqLen;
        this.seed = seed;
        this.windowsBefore = new long[shards.size() + 1];
        for (int i = 0; i < shards.size(); i++) {
            long w = Math.max(0, shards.get(i).length - seqLen);
            windowsBefore[i + 1] = windowsBefore[i] + w;
        }
        this.windows = windowsBefore[shards.size()];
        if (windows == 0) {
            throw new dev.loupe.LoupeException("the training tokens are shorter than one window of --seq "
                    + seqLen + " + 1 tokens; use a smaller --seq");
        }
    }

    @Override
    public TokenBatch next() {
        SplittableRandom r = new SplittableRandom(mix(seed, position));
        position++;
        int[] inputs = new int[batch * seqLen], targets = new int[batch * seqLen];
        for (int b = 0; b < batch; b++) {
            long w = r.nextLong(windows);
            int shard = 0;
            while (w >= windowsBefore[shard + 1]) shard++;
            int start = (int) (w - windowsBefore[shard]);
            int[] tokens = shards.get(shard);
            System.arraycopy(tokens, start, inputs, b * seqLen, seqLen);
            System.arraycopy(tokens, start + 1, targets, b * seqLen, seqLen);
        }
        return new TokenBatch(inputs, targets, batch, seqLen);
    }

    /** A well-mixed generator seed for batch {@code i} (SplitMix64's finaliser over seed and index). */
    private static long mix(long seed, long i) {
        long z = seed * 0x9E3779B97F4A7C15L + i + 0x632BE59BD9B4E019L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    @Override public long position() { return position; }

    @Override
    public void seek(long position) {
        if (position < 0) throw new IllegalArgumentException("negative loader position " + position);
        this.position = position;
    }

    @Override public String kind() { return "random"; }
}
