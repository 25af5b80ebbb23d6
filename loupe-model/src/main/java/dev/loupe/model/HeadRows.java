package dev.loupe.model;

import dev.loupe.tensor.Tensor;

/**
 * One head's block of a row-major activation matrix, as the recurrent attention kernels read it:
 * row t, column i is {@code a[off + t·stride + i]} (i &lt; d_head). A view, no copy.
 */
record HeadRows(float[] a, int off, int stride) {
    /** The rows of a 2-D row-dense view [T, d_head] (e.g. q, k, v, z of one head). */
    static HeadRows of(Tensor view) {
        return new HeadRows(view.data(), view.offset(), view.stride(0));
    }

    /** Index of row t, column 0. */
    int at(int t) {
        return off + t * stride;
    }
}
