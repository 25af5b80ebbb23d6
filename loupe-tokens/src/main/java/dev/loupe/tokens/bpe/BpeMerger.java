package dev.loupe.tokens.bpe;

import java.util.Arrays;

/**
 * Applies a vocabulary's merges to the bytes of one piece: repeatedly merge the adjacent pair of
 * lowest rank (leftmost on a tie) until no pair merges. Short pieces (almost all) use an array
 * scan, O(n²) with a tiny constant; long ones (runs of spaces, base64 blobs) a min-heap of pair
 * ranks over a linked list of parts, O(n log n). Holds scratch buffers: one per thread.
 */
final class BpeMerger {
    private static final int SMALL = 48;

    private final PairTable pairs;
    private int[] ids = new int[64];
    private int[] ranks = new int[64];
    private int[] merged = new int[64];
    // long pieces
    private int[] next = new int[0];
    private int[] prev = new int[0];
    private long[] heap = new long[0];

    BpeMerger(PairTable pairs) {
        this.pairs = pairs;
    }

    /** Merges the tokens {@code start[0, n)} (single-byte ids) and appends the result to {@code out}; returns the count appended. */
    int merge(int[] start, int n, dev.loupe.tokens.IntList out) {
        if (n <= SMALL) return mergeSmall(start, n, out);
        return mergeLarge(start, n, out);
    }

    private int mergeSmall(int[] start, int n, dev.loupe.tokens.IntList out) {
        if (ids.length < n) {
            ids = new int[n * 2];
            ranks = new int[n * 2];
            merged = new int[n * 2];
        }
        int[] ids = this.ids, ranks = this.ranks, merged = this.merged;
        System.arraycopy(start, 0, ids, 0, n);
        for (int i = 0; i + 1 < n; i++) setPair(i, ids[i], ids[i + 1]);
        int m = n;
        while (m > 1) {
            int best = -1, bestRank = PairTable.NONE;
            for (int i = 0; i + 1 < m; i++) {
                if (ranks[i] < bestRank) {
                    bestRank = ranks[i];
                    best = i;
                }
            }
            if (best < 0) break;
            ids[best] = merged[best];
            int tail = m - best - 2;
            System.arraycopy(ids, best + 2, ids, best + 1, tail);
            System.arraycopy(ranks, best + 2, ranks, best + 1, tail);
            System.arraycopy(merged, best + 2, merged, best + 1, tail);
            m--;
            if (best + 1 < m) setPair(best, ids[best], ids[best + 1]);
            else ranks[best] = PairTable.NONE;
            if (best > 0) setPair(best - 1, ids[best - 1], ids[best]);
        }
        out.addAll(ids, 0, m);
        return m;
    }

    private void setPair(int i, int left, int right) {
        int slot = pairs.find(left, right);
        if (slot < 0) {
            ranks[i] = PairTable.NONE;
        } else {
            ranks[i] = pairs.rankAt(slot);
            merged[i] = pairs.mergedAt(slot);
        }
    }

    private int mergeLarge(int[] start, int n, dev.loupe.tokens.IntList out) {
        if (next.length < n) {
            next = new int[n];
            prev = new int[n];
        }
        if (ids.length < n) {
            ids = new int[n];
            ranks = new int[n];
            merged = new int[n];
        }
        int[] tok = ids;
        System.arraycopy(start, 0, tok, 0, n);
        int size = 0;
        if (heap.length < n) heap = new long[n];
        for (int i = 0; i < n; i++) {
            next[i] = i + 1;
            prev[i] = i - 1;
            if (i + 1 < n) {
                int r = pairs.rank(tok[i], tok[i + 1]);
                if (r != PairTable.NONE) size = push(size, ((long) r << 32) | i);
            }
        }
        // tok[i] == -1 marks a part that was merged into its left neighbour.
        while (size > 0) {
            long top = heap[0];
            size = pop(size);
            int i = (int) top;
            int r = (int) (top >>> 32);
            if (tok[i] < 0) continue;
            int j = next[i];
            if (j >= n) continue;
            int slot = pairs.find(tok[i], tok[j]);
            if (slot < 0 || pairs.rankAt(slot) != r) continue; // stale entry
            tok[i] = pairs.mergedAt(slot);
            tok[j] = -1;
            int k = next[j];
            next[i] = k;
            if (k < n) {
                prev[k] = i;
                int rr = pairs.rank(tok[i], tok[k]);
                if (rr != PairTable.NONE) size = push(size, ((long) rr << 32) | i);
            }
            int p = prev[i];
            if (p >= 0) {
                int rp = pairs.rank(tok[p], tok[i]);
                if (rp != PairTable.NONE) size = push(size, ((long) rp << 32) | p);
            }
        }
        int count = 0;
        for (int i = 0; i < n; i = next[i]) {
            out.add(tok[i]);
            count++;
        }
        return count;
    }

    private int push(int size, long v) {
        if (size == heap.length) heap = Arrays.copyOf(heap, Math.max(16, size * 2));
        int i = size;
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (heap[parent] <= v) break;
            heap[i] = heap[parent];
            i = parent;
        }
        heap[i] = v;
        return size + 1;
    }

    private int pop(int size) {
        long last = heap[--size];
        int i = 0;
        while (true) {
            int c = 2 * i + 1;
            if (c >= size) break;
            if (c + 1 < size && heap[c + 1] < heap[c]) c++;
            if (heap[c] >= last) break;
            heap[i] = heap[c];
            i = c;
        }
        if (size > 0) heap[i] = last;
        return size;
    }
}
