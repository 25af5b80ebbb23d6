package dev.loupe.sae;

import dev.loupe.tensor.Parallel;
import dev.loupe.tensor.Tensor;

/**
 * The active (token, latent) pairs of one batch: a compressed sparse row list of [N, d_sae]
 * (rowStart [N+1], col and val [nnz]) plus, built on first use, the same pairs grouped by latent
 * (CSC order, rows ascending within a latent). The sparse kernels of {@link SaeStep} run over it:
 * rows in parallel for the per-token products, latents in parallel for the per-latent sums, so every
 * output element is written by one thread in a fixed order.
 */
final class Active {
    final int rows, cols, nnz;
    final int[] rowStart, col, rowOf;
    final float[] val;
    private int[] colStart, byCol; // CSC: positions p of column j are byCol[colStart[j] .. colStart[j+1])

    private Active(int rows, int cols, int[] rowStart, int[] col, float[] val) {
        this.rows = rows;
        this.cols = cols;
        this.rowStart = rowStart;
        this.col = col;
        this.val = val;
        this.nnz = col.length;
        this.rowOf = new int[nnz];
        for (int r = 0; r < rows; r++) for (int p = rowStart[r]; p < rowStart[r + 1]; p++) rowOf[p] = r;
    }

    /** Pairs with pre &gt; 0, values ReLU(pre) = pre (standard SAE). */
    static Active relu(Tensor pre) {
        int n = pre.dim(0), d = pre.dim(1);
        float[] a = pre.data();
        int o = pre.offset();
        int[] count = new int[n + 1];
        Parallel.forRange(n, 16, (from, to) -> {
            for (int r = from; r < to; r++) {
                int c = 0;
                for (int j = 0; j < d; j++) if (a[o + r * d + j] > 0f) c++;
                count[r + 1] = c;
            }
        });
        for (int r = 0; r < n; r++) count[r + 1] += count[r];
        int[] col = new int[count[n]];
        float[] val = new float[count[n]];
        Parallel.forRange(n, 16, (from, to) -> {
            for (int r = from; r < to; r++) {
                int p = count[r];
                for (int j = 0; j < d; j++) {
                    float v = a[o + r * d + j];
                    if (v > 0f) { col[p] = j; val[p++] = v; }
                }
            }
        });
        return new Active(n, d, count, col, val);
    }

    /** The k largest pre-activations of each row that are &gt; 0 (TopK then ReLU). */
    static Active topk(Tensor pre, int k) {
        int n = pre.dim(0), d = pre.dim(1);
        int[] idx = TopK.select(pre, k, null);
        float[] a = pre.data();
        int o = pre.offset();
        int[] start = new int[n + 1];
        for (int r = 0; r < n; r++) {
            int c = 0;
            for (int q = 0; q < k; q++) if (a[o + r * d + idx[r * k + q]] > 0f) c++;
            start[r + 1] = start[r] + c;
        }
        int[] col = new int[start[n]];
        float[] val = new float[start[n]];
        for (int r = 0; r < n; r++) {
            int p = start[r];
            int[] sorted = java.util.Arrays.copyOfRange(idx, r * k, r * k + k);
            java.util.Arrays.sort(sorted);
            for (int j : sorted) {
                float v = a[o + r * d + j];
                if (v > 0f) { col[p] = j; val[p++] = v; }
            }
        }
        return new Active(n, d, start, col, val);
    }

    /** The k largest pre-activations of each row among {@code allowed} columns, raw values (AuxK's z). */
    static Active topkOf(Tensor pre, int k, boolean[] allowed) {
        int n = pre.dim(0), d = pre.dim(1);
        int[] idx = TopK.select(pre, k, allowed);
        float[] a = pre.data();
        int o = pre.offset();
        int[] start = new int[n + 1];
        for (int r = 0; r < n; r++) start[r + 1] = start[r] + k;
        int[] col = new int[n * k];
        float[] val = new float[n * k];
        for (int r = 0; r < n; r++) {
            int[] sorted = java.util.Arrays.copyOfRange(idx, r * k, r * k + k);
            java.util.Arrays.sort(sorted);
            for (int q = 0; q < k; q++) {
                col[r * k + q] = sorted[q];
                val[r * k + q] = a[o + r * d + sorted[q]];
            }
        }
        return new Active(n, d, start, col, val);
    }

    private void buildColumns() {
        if (colStart != null) return;
        int[] start = new int[cols + 1];
        for (int p = 0; p < nnz; p++) start[col[p] + 1]++;
        for (int j = 0; j < cols; j++) start[j + 1] += start[j];
        int[] fill = start.clone();
        int[] by = new int[nnz];
        for (int p = 0; p < nnz; p++) by[fill[col[p]]++] = p; // rows ascending: p runs in row order
        byCol = by;
        colStart = start;
    }

    /** out[n] += Σ_p val_p · w[col_p] for w [cols, d], out [rows, d]. */
    void decodeInto(Tensor w, Tensor out) {
        int d = w.dim(1);
        float[] wa = w.data(), oa = out.contiguousData();
        int wo = w.offset(), oo = out.offset();
        Parallel.forRange(rows, 16, (from, to) -> {
            for (int r = from; r < to; r++) {
                int base = oo + r * d;
                for (int p = rowStart[r]; p < rowStart[r + 1]; p++) VectorKernels.axpy(val[p], wa, wo + col[p] * d, oa, base, d);
            }
        });
    }

    /** dst[p] = m[row_p] · w[col_p] for m [rows, d], w [cols, d]. */
    void dotRows(Tensor m, Tensor w, float[] dst) {
        int d = w.dim(1);
        float[] wa = w.data(), ma = m.data();
        int wo = w.offset(), mo = m.offset();
        Parallel.forRange(rows, 16, (from, to) -> {
            for (int r = from; r < to; r++) {
                int mb = mo + r * d;
                for (int p = rowStart[r]; p < rowStart[r + 1]; p++) dst[p] = VectorKernels.dot(ma, mb, wa, wo + col[p] * d, d);
            }
        });
    }

    /**
     * out[j] (= or +=) Σ_{p in column j} coeff_p · m[row_p] for m [rows, d], out [cols, d]; with
     * {@code add} false, columns without pairs become zero.
     */
    void accumulateColumns(float[] coeff, Tensor m, Tensor out, boolean add) {
        buildColumns();
        int d = m.dim(1);
        float[] ma = m.data(), oa = out.contiguousData();
        int mo = m.offset(), oo = out.offset();
        Parallel.forRange(cols, 16, (from, to) -> {
            for (int j = from; j < to; j++) {
                int base = oo + j * d;
                if (!add) java.util.Arrays.fill(oa, base, base + d, 0f);
                for (int q = colStart[j]; q < colStart[j + 1]; q++) {
                    int p = byCol[q];
                    VectorKernels.axpy(coeff[p], ma, mo + rowOf[p] * d, oa, base, d);
                }
            }
        });
    }

    /** out[j] += Σ_{p in column j} coeff_p. */
    void columnSumsInto(float[] coeff, float[] out) {
        buildColumns();
        for (int j = 0; j < cols; j++) {
            float s = 0f;
            for (int q = colStart[j]; q < colStart[j + 1]; q++) s += coeff[byCol[q]];
            out[j] += s;
        }
    }
}
