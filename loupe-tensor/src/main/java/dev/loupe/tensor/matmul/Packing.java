package dev.loupe.tensor.matmul;

import java.util.Arrays;

import static dev.loupe.tensor.matmul.MicroKernel.MR;
import static dev.loupe.tensor.matmul.MicroKernel.NR;

/**
 * Copies blocks of op(A) and op(B) into the layout the {@link MicroKernel} streams: contiguous
 * slivers, so the kernel reads memory strictly sequentially whatever the transposes, leading
 * dimensions and offsets of the operands were. Edge slivers are zero-padded to full width, which
 * lets the kernel always run its full tile (padding contributes exact zeros).
 */
final class Packing {
    private Packing() {}

    /**
     * Packs op(A)[i0 : i0+rows, p0 : p0+kc] as ceil(rows/MR) slivers of [kc, MR]:
     * dst[s·MR·kc + p·MR + r] = op(A)[i0 + s·MR + r, p0 + p].
     */
    static void packA(boolean transA, float[] a, int aOff, int lda, int i0, int rows, int p0, int kc, float[] dst) {
        int slivers = (rows + MR - 1) / MR;
        for (int s = 0; s < slivers; s++) {
            int base = s * MR * kc;
            int r0 = i0 + s * MR;
            int h = Math.min(MR, i0 + rows - r0);
            if (transA) {
                // op(A)[i, p] = a[p·lda + i]: each k step reads h consecutive values.
                for (int p = 0; p < kc; p++) {
                    int src = aOff + (p0 + p) * lda + r0;
                    int d = base + p * MR;
                    for (int r = 0; r < h; r++) dst[d + r] = a[src + r];
                    for (int r = h; r < MR; r++) dst[d + r] = 0f;
                }
            } else {
                // op(A)[i, p] = a[i·lda + p]: each row is contiguous in k.
                for (int r = 0; r < h; r++) {
                    int src = aOff + (r0 + r) * lda + p0;
                    for (int p = 0; p < kc; p++) dst[base + p * MR + r] = a[src + p];
                }
                for (int r = h; r < MR; r++) {
                    for (int p = 0; p < kc; p++) dst[base + p * MR + r] = 0f;
                }
            }
        }
    }

    /**
     * Packs op(B)[p0 : p0+kc, j0 + s0·NR : j0 + s1·NR] (clipped to {@code cols} columns from j0) as
     * slivers s0..s1-1 of [kc, NR]: dst[s·NR·kc + p·NR + j] = op(B)[p0 + p, j0 + s·NR + j].
     */
    static void packB(boolean transB, float[] b, int bOff, int ldb, int p0, int kc, int j0, int cols,
                      int s0, int s1, float[] dst) {
        for (int s = s0; s < s1; s++) {
            int base = s * NR * kc;
            int c0 = j0 + s * NR;
            int w = Math.min(NR, j0 + cols - c0);
            if (transB) {
                // op(B)[p, j] = b[j·ldb + p]: each column of the sliver is contiguous in k.
                for (int j = 0; j < w; j++) {
                    int src = bOff + (c0 + j) * ldb + p0;
                    for (int p = 0; p < kc; p++) dst[base + p * NR + j] = b[src + p];
                }
                if (w < NR) {
                    for (int p = 0; p < kc; p++) Arrays.fill(dst, base + p * NR + w, base + (p + 1) * NR, 0f);
                }
            } else {
                // op(B)[p, j] = b[p·ldb + j]: each k step copies w consecutive values.
                for (int p = 0; p < kc; p++) {
                    int src = bOff + (p0 + p) * ldb + c0;
                    int d = base + p * NR;
                    System.arraycopy(b, src, dst, d, w);
                    if (w < NR) Arrays.fill(dst, d + w, d + NR, 0f);
                }
            }
        }
    }
}
