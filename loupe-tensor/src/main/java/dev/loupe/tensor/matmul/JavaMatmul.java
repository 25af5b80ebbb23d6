package dev.loupe.tensor.matmul;

import dev.loupe.tensor.Parallel;

import static dev.loupe.tensor.matmul.MicroKernel.MR;
import static dev.loupe.tensor.matmul.MicroKernel.NR;

/**
 * Pure-Java single-precision GEMM with the Vector API, organised as in GotoBLAS/BLIS (Goto &amp;
 * van de Geijn, "Anatomy of high-performance matrix multiplication", 2008):
 * <pre>
 *   for jc over n in blocks of ≤ NC columns           (B block lives in L3)
 *     for pc over k in blocks of ≤ KC                  (one pass over C per block)
 *       pack op(B)[pc:pc+kc, jc:jc+nc] into [kc, NR] slivers        — shared by all threads
 *       each thread, for its rows (or columns, when m is small):
 *         for ic over its rows in blocks of MC: pack op(A) into [kc, MR] slivers (lives in L2)
 *           for each B sliver (L1), for each A sliver: {@link MicroKernel} 6 × 16 register tile
 * </pre>
 * Single-row and single-column products (KV-cache decoding) skip packing and go to {@link Gemv}.
 *
 * <p>Determinism: blocks of k are chosen from k alone and each output element is summed in k order
 * within a block, blocks in order, so the result does not depend on the thread count or on which
 * thread computed a tile.
 */
public final class JavaMatmul implements MatmulBackend {
    /** Largest k block: one pass over C for GPT-2 widths (k ≤ 1024); re-reading C costs more than B slivers streaming from L2. */
    static final int KC_MAX = 1024;
    /** Rows of A packed at once: a [MC, KC] block (≤ 480 KB) stays in L2. */
    static final int MC = 20 * MR;
    /** Largest column block: the packed [KC, NC] B block stays in L3. */
    static final int NC_MAX = 3072;
    /** Products below this many flops run on the calling thread: forking would cost more. */
    static final long MIN_PARALLEL_FLOPS = 4_000_000L;

    private static final ThreadLocal<float[]> A_BUFFER = new ThreadLocal<>();
    private static final ThreadLocal<float[]> B_BUFFER = new ThreadLocal<>();

    @Override
    public String name() {
        return "java";
    }

    @Override
    public void sgemm(boolean transA, boolean transB, int m, int n, int k,
                      float alpha, float[] a, int aOff, int lda,
                      float[] b, int bOff, int ldb,
                      float beta, float[] c, int cOff, int ldc) {
        if (m <= 0 || n <= 0) return;
        if (k <= 0 || alpha == 0f) {
            scale(m, n, beta, c, cOff, ldc);
        } else if (m == 1) {
            // x = op(A)[0, :]; C[0, j] = Σ_p x[p] · op(B)[p, j]
            float[] x = transA && lda != 1 ? gather(a, aOff, lda, k) : a;
            int xOff = x == a ? aOff : 0;
            if (transB) Gemv.dotForm(n, k, alpha, x, xOff, b, bOff, ldb, beta, c, cOff, 1);
            else Gemv.axpyForm(n, k, alpha, x, xOff, b, bOff, ldb, beta, c, cOff, 1);
        } else if (n == 1) {
            // x = op(B)[:, 0]; C[i, 0] = Σ_p op(A)[i, p] · x[p]
            float[] x = !transB && ldb != 1 ? gather(b, bOff, ldb, k) : b;
            int xOff = x == b ? bOff : 0;
            if (transA) Gemv.axpyForm(m, k, alpha, x, xOff, a, aOff, lda, beta, c, cOff, ldc);
            else Gemv.dotForm(m, k, alpha, x, xOff, a, aOff, lda, beta, c, cOff, ldc);
        } else {
            blocked(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
        }
    }

    private static void blocked(boolean transA, boolean transB, int m, int n, int k,
                                float alpha, float[] a, int aOff, int lda,
                                float[] b, int bOff, int ldb,
                                float beta, float[] c, int cOff, int ldc) {
        int kcStd = ceilDiv(k, ceilDiv(k, KC_MAX));
        int ncStd = ceilDiv(ceilDiv(n, ceilDiv(n, NC_MAX)), NR) * NR;
        int threads = (long) 2 * m * n * k < MIN_PARALLEL_FLOPS ? 1 : Parallel.threads();
        int mSlivers = ceilDiv(m, MR);
        boolean splitRows = mSlivers >= 2 * threads;
        float[] bPack = take(B_BUFFER, kcStd * ncStd);
        try {
            for (int jc = 0; jc < n; jc += ncStd) {
                int nc = Math.min(ncStd, n - jc);
                int nSlivers = ceilDiv(nc, NR);
                for (int pc = 0; pc < k; pc += kcStd) {
                    int kc = Math.min(kcStd, k - pc);
                    boolean first = pc == 0;
                    int jcF = jc, pcF = pc;
                    Parallel.forRange(threads, 1, (from, to) -> {
                        for (int t = from; t < to; t++) {
                            Packing.packB(transB, b, bOff, ldb, pcF, kc, jcF, nc,
                                    part(nSlivers, threads, t), part(nSlivers, threads, t + 1), bPack);
                        }
                    });
                    Parallel.forRange(threads, 1, (from, to) -> {
                        for (int t = from; t < to; t++) {
                            int i0 = 0, i1 = m, s0 = 0, s1 = nSlivers;
                            if (splitRows) {
                                i0 = part(mSlivers, threads, t) * MR;
                                i1 = Math.min(m, part(mSlivers, threads, t + 1) * MR);
                            } else {
                                s0 = part(nSlivers, threads, t);
                                s1 = part(nSlivers, threads, t + 1);
                            }
                            if (i0 < i1 && s0 < s1) {
                                macro(transA, a, aOff, lda, i0, i1, pcF, kc, bPack, jcF, nc, s0, s1,
                                        alpha, beta, first, c, cOff, ldc);
                            }
                        }
                    });
                }
            }
        } finally {
            B_BUFFER.set(bPack);
        }
    }

    /** Rows [i0, i1) × B slivers [s0, s1) of one (jc, pc) block: pack A by MC rows, then tile. */
    private static void macro(boolean transA, float[] a, int aOff, int lda, int i0, int i1, int pc, int kc,
                              float[] bPack, int jc, int nc, int s0, int s1,
                              float alpha, float beta, boolean first, float[] c, int cOff, int ldc) {
        float[] aPack = take(A_BUFFER, MC * kc);
        float[] tmp = new float[MR * NR];
        try {
            for (int ic = i0; ic < i1; ic += MC) {
                int mc = Math.min(MC, i1 - ic);
                Packing.packA(transA, a, aOff, lda, ic, mc, pc, kc, aPack);
                for (int s = s0; s < s1; s++) {
                    int j = jc + s * NR;
                    int w = Math.min(NR, jc + nc - j);
                    int bOff = s * NR * kc;
                    for (int ir = 0; ir < mc; ir += MR) {
                        MicroKernel.tile(kc, aPack, ir * kc, bPack, bOff, c, cOff + (ic + ir) * ldc + j, ldc,
                                Math.min(MR, mc - ir), w, alpha, beta, first, tmp);
                    }
                }
            }
        } finally {
            A_BUFFER.set(aPack);
        }
    }

    /** C = beta · C (beta == 0 writes zeros, ignoring NaN in C), the whole product when k == 0 or alpha == 0. */
    private static void scale(int m, int n, float beta, float[] c, int cOff, int ldc) {
        for (int i = 0; i < m; i++) {
            int r = cOff + i * ldc;
            if (beta == 0f) java.util.Arrays.fill(c, r, r + n, 0f);
            else if (beta != 1f) for (int j = r; j < r + n; j++) c[j] *= beta;
        }
    }

    private static float[] gather(float[] v, int off, int stride, int k) {
        float[] x = new float[k];
        for (int p = 0; p < k; p++) x[p] = v[off + p * stride];
        return x;
    }

    /**
     * A reusable per-thread scratch array of at least {@code size} floats. Taking it leaves the slot
     * empty, so a nested or re-entrant product on the same thread allocates its own instead of
     * overwriting one in use; the caller puts it back when done.
     */
    private static float[] take(ThreadLocal<float[]> slot, int size) {
        float[] buf = slot.get();
        slot.set(null);
        return buf != null && buf.length >= size ? buf : new float[size];
    }

    /** Boundary of part t of [0, n) split into {@code parts} near-equal contiguous parts. */
    private static int part(int n, int parts, int t) {
        return (int) ((long) n * t / parts);
    }

    private static int ceilDiv(int x, int y) {
        return (x + y - 1) / y;
    }
}
