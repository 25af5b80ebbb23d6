package dev.loupe.sae;

import dev.loupe.tensor.Parallel;
import dev.loupe.tensor.Tensor;

/**
 * The TopK activation (Gao et al. 2024, "Scaling and evaluating sparse autoencoders"; SAELens'
 * {@code TopK}): per row keep the k largest pre-activations, ReLU them, zero everything else.
 *
 * <p>Besides the dense result this gives the selected indices, so that the decoder and its
 * backward can touch only k rows of W_dec per token instead of d_sae.
 */
public final class TopK {
    private TopK() {}

    /**
     * For each row of {@code pre} [N, d] the indices of its {@code k} largest values (ties: lower
     * index first, order within the k unspecified), restricted to columns where {@code allowed} is
     * true when it is non-null (the AuxK loss ranks dead latents only; fewer than k allowed columns
     * is an error).
     *
     * @return indices [N·k], row-major
     */
    public static int[] select(Tensor pre, int k, boolean[] allowed) {
        Tensor p = pre.contiguous();
        int n = p.dim(0), d = p.dim(1);
        float[] a = p.data();
        int off = p.offset();
        int[] out = new int[n * k];
        Parallel.forRange(n, 8, (from, to) -> {
            int[] heap = new int[k];
            for (int r = from; r < to; r++) selectRow(a, off + r * d, d, k, allowed, heap, out, r * k);
        });
        return out;
    }

    /** Min-heap of size k over one row: O(d log k), no allocation. */
    private static void selectRow(float[] a, int base, int d, int k, boolean[] allowed, int[] heap, int[] out, int at) {
        int size = 0;
        float min = Float.NEGATIVE_INFINITY; // the heap's smallest value once it holds k entries
        for (int j = 0; j < d; j++) {
            float v = a[base + j];
            if (size == k && !(v > min)) continue; // the common case: one compare, no indirection
            if (allowed != null && !allowed[j]) continue;
            if (size < k) {
                heap[size] = j;
                siftUp(a, base, heap, size++);
            } else {
                heap[0] = j;
                siftDown(a, base, heap, k);
            }
            if (size == k) min = a[base + heap[0]];
        }
        if (size < k) throw new IllegalArgumentException("top-" + k + " of only " + size + " allowed columns");
        System.arraycopy(heap, 0, out, at, k);
    }

    private static boolean less(float[] a, int base, int i, int j) {
        float x = a[base + i], y = a[base + j];
        return x < y || (x == y && i > j);
    }

    private static void siftUp(float[] a, int base, int[] h, int i) {
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (!less(a, base, h[i], h[parent])) break;
            int t = h[i]; h[i] = h[parent]; h[parent] = t;
            i = parent;
        }
    }

    private static void siftDown(float[] a, int base, int[] h, int size) {
        int i = 0;
        while (true) {
            int l = 2 * i + 1, r = l + 1, m = i;
            if (l < size && less(a, base, h[l], h[m])) m = l;
            if (r < size && less(a, base, h[r], h[m])) m = r;
            if (m == i) return;
            int t = h[i]; h[i] = h[m]; h[m] = t;
            i = m;
        }
    }

    /**
     * Dense activations [N, d] from {@code pre} [N, d]: ReLU of the selected entries
     * ({@link #select}), zero elsewhere.
     */
    public static Tensor scatter(Tensor pre, int[] indices, int k) {
        Tensor p = pre.contiguous();
        int n = p.dim(0), d = p.dim(1);
        Tensor f = Tensor.zeros(n, d);
        float[] a = p.data(), o = f.data();
        int off = p.offset();
        Parallel.forRange(n, 64, (from, to) -> {
            for (int r = from; r < to; r++) {
                for (int j = 0; j < k; j++) {
                    int c = indices[r * k + j];
                    o[r * d + c] = Math.max(0f, a[off + r * d + c]);
                }
            }
        });
        return f;
    }
}
