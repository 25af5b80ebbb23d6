package dev.loupe.tokens.bpe;

/**
 * The merge table of a BPE vocabulary: pair of token ids (left, right) → (rank, merged id), in an
 * open-addressing hash table of primitive arrays (no boxing on the hot path of encoding).
 * A lower rank merges first.
 */
final class PairTable {
    static final int NONE = Integer.MAX_VALUE;

    private final long[] keys;
    private final int[] ranks;
    private final int[] merged;
    private final int mask;
    private int size;

    PairTable(int expected) {
        int cap = Integer.highestOneBit(Math.max(16, expected * 2 + 1) - 1) << 1;
        keys = new long[cap];
        java.util.Arrays.fill(keys, -1L);
        ranks = new int[cap];
        merged = new int[cap];
        mask = cap - 1;
    }

    private static long key(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }

    private int slot(long k) {
        long h = k * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 29)) & mask;
    }

    /**
     * Adds a merge; when the pair is already present the lower rank wins (several splits of one
     * tiktoken token give the same merged id at the same rank).
     */
    void put(int left, int right, int rank, int mergedId) {
        long k = key(left, right);
        int i = slot(k);
        while (keys[i] != -1L) {
            if (keys[i] == k) {
                if (rank < ranks[i]) {
                    ranks[i] = rank;
                    merged[i] = mergedId;
                }
                return;
            }
            i = (i + 1) & mask;
        }
        if (size + 1 > (keys.length * 3) / 4) throw new IllegalStateException("PairTable sized too small");
        keys[i] = k;
        ranks[i] = rank;
        merged[i] = mergedId;
        size++;
    }

    /** Slot of the pair, or -1 when the pair never merges. */
    int find(int left, int right) {
        long k = key(left, right);
        int i = slot(k);
        while (true) {
            long ki = keys[i];
            if (ki == k) return i;
            if (ki == -1L) return -1;
            i = (i + 1) & mask;
        }
    }

    /** Rank of the pair, or {@link #NONE}. */
    int rank(int left, int right) {
        int s = find(left, right);
        return s < 0 ? NONE : ranks[s];
    }

    int rankAt(int slot) {
        return ranks[slot];
    }

    int mergedAt(int slot) {
        return merged[slot];
    }

    /** The merged id of a pair known to merge. */
    int merged(int left, int right) {
        return merged[find(left, right)];
    }

    int size() {
        return size;
    }
}
