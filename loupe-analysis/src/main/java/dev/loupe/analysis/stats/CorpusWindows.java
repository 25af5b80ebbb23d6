package dev.loupe.analysis.stats;

import java.io.Serializable;
import java.util.Arrays;

/**
 * How activation statistics cut a corpus of shards into contexts: each shard, in order, into
 * consecutive non-overlapping windows of {@code seq} tokens from its start, a shorter tail dropped;
 * window i is numbered across shards. A token's position is its index in the concatenation of the
 * shards (for one shard: its index in the file).
 */
public final class CorpusWindows implements Serializable {
    private final long[] shardSizes;      // tokens per shard
    private final long[] firstWindow;     // [shards + 1]: window number of each shard's first window
    private final long[] firstToken;      // [shards]: position of each shard's token 0
    private final int seq;

    /** Windows of {@code seq} tokens over shards of {@code shardSizes} tokens. */
    public CorpusWindows(long[] shardSizes, int seq) {
        if (seq < 1) throw new IllegalArgumentException("seq must be positive, got " + seq);
        this.shardSizes = shardSizes.clone();
        this.seq = seq;
        firstWindow = new long[shardSizes.length + 1];
        firstToken = new long[shardSizes.length];
        for (int s = 0; s < shardSizes.length; s++) {
            firstWindow[s + 1] = firstWindow[s] + shardSizes[s] / seq;
            if (s + 1 < shardSizes.length) firstToken[s + 1] = firstToken[s] + shardSizes[s];
        }
    }

    /** Tokens per window. */
    public int seq() { return seq; }

    /** Number of windows. */
    public long count() { return firstWindow[shardSizes.length]; }

    /** Number of shards. */
    public int shards() { return shardSizes.length; }

    /** Windows in shard {@code s}. */
    public long windowsIn(int s) { return firstWindow[s + 1] - firstWindow[s]; }

    /** The shard holding window {@code w}. */
    public int shardOf(long w) {
        if (w < 0 || w >= count()) throw new IndexOutOfBoundsException("window " + w + " of " + count());
        int i = Arrays.binarySearch(firstWindow, w);
        int s = i >= 0 ? i : -i - 2;
        while (s + 1 < shardSizes.length && firstWindow[s + 1] == w) s++;   // skip shards with no window
        return s;
    }

    /** Index within its shard of window {@code w}'s first token. */
    public long startInShard(long w) {
        return (w - firstWindow[shardOf(w)]) * seq;
    }

    /** Position (across shards) of window {@code w}'s first token. */
    public long position(long w) {
        return firstToken[shardOf(w)] + startInShard(w);
    }
}
