package dev.loupe.tokens.bpe;

import java.util.Arrays;

/**
 * A hash map from short char sequences (pre-tokenised pieces of text) to int values that is
 * looked up with a range of a char array, so that encoding allocates no String per piece.
 * Keys are copied into one char pool. Not thread-safe for writers; safe for concurrent readers
 * once filled.
 */
final class CharKeyTable {
    private int[] slotEntry;      // -1 = empty, else entry index
    private int[] slotHash;
    private int[] keyStart = new int[64];
    private int[] keyLen = new int[64];
    private int[] values = new int[64];
    private char[] pool = new char[1024];
    private int poolSize;
    private int size;
    private int mask;

    CharKeyTable(int expected) {
        int cap = Integer.highestOneBit(Math.max(16, expected * 2) - 1) << 1;
        slotEntry = new int[cap];
        slotHash = new int[cap];
        Arrays.fill(slotEntry, -1);
        mask = cap - 1;
    }

    /** The hash this table uses for s[from, to) (compute once, look up several tables). */
    static int hash(char[] s, int from, int to) {
        int h = 0x811C9DC5;
        for (int i = from; i < to; i++) h = (h ^ s[i]) * 0x01000193;
        return h ^ (h >>> 15);
    }

    int size() {
        return size;
    }

    /** Value stored for s[from, to) with precomputed {@code hash}, or -1. */
    int get(char[] s, int from, int to, int hash) {
        int len = to - from;
        int i = hash & mask;
        while (true) {
            int e = slotEntry[i];
            if (e < 0) return -1;
            if (slotHash[i] == hash && keyLen[e] == len
                    && Arrays.equals(pool, keyStart[e], keyStart[e] + len, s, from, to)) {
                return values[e];
            }
            i = (i + 1) & mask;
        }
    }

    /** Stores {@code value} for s[from, to) (which must not be present yet). */
    void put(char[] s, int from, int to, int hash, int value) {
        int len = to - from;
        if ((size + 1) * 2 > slotEntry.length) grow();
        if (size == values.length) {
            keyStart = Arrays.copyOf(keyStart, size * 2);
            keyLen = Arrays.copyOf(keyLen, size * 2);
            values = Arrays.copyOf(values, size * 2);
        }
        if (poolSize + len > pool.length) pool = Arrays.copyOf(pool, Math.max(pool.length * 2, poolSize + len));
        System.arraycopy(s, from, pool, poolSize, len);
        keyStart[size] = poolSize;
        keyLen[size] = len;
        values[size] = value;
        poolSize += len;
        insert(size, hash);
        size++;
    }

    /** Forgets every entry (keeps the allocated memory). */
    void clear() {
        Arrays.fill(slotEntry, -1);
        size = 0;
        poolSize = 0;
    }

    private void insert(int entry, int hash) {
        int i = hash & mask;
        while (slotEntry[i] >= 0) i = (i + 1) & mask;
        slotEntry[i] = entry;
        slotHash[i] = hash;
    }

    private void grow() {
        int[] oldEntry = slotEntry;
        int[] oldHash = slotHash;
        slotEntry = new int[oldEntry.length * 2];
        slotHash = new int[oldEntry.length * 2];
        Arrays.fill(slotEntry, -1);
        mask = slotEntry.length - 1;
        for (int i = 0; i < oldEntry.length; i++) {
            if (oldEntry[i] >= 0) insert(oldEntry[i], oldHash[i]);
        }
    }
}
