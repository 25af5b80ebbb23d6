package dev.loupe.tensor.matmul;

import dev.loupe.tensor.LaneSum;
import dev.loupe.tensor.Parallel;
import dev.loupe.tensor.Scratch;
import jdk.incubator.vector.FloatVector;

import static dev.loupe.tensor.matmul.MicroKernel.L;
import static dev.loupe.tensor.matmul.MicroKernel.S;

/**
 * Products with a single row or column (m = 1 or n = 1), the shape of KV-cache decoding: every
 * matrix value is used once, so speed is memory bandwidth, and packing would only add traffic.
 * Two forms cover all transposes: the "axpy" form when the output runs along the matrix's rows
 * (y += x[p] · M[p, :], reading rows sequentially) and the "dot" form when it runs across them
 * (y[j] = M[j, :] · x). Work is split over the output, so each element's summation order depends
 * only on k: the result is the same for any thread count.
 */
final class Gemv {
    /** Output elements per thread below which splitting costs more than it saves. */
    private static final int MIN_WORK_PER_THREAD = 1 << 15;
    /** Output columns accumulated at once by the axpy form: 16 KB, stays in L1 across a piece. */
    private static final int AXPY_BLOCK = 4096;
    /** Rows of M per piece of the axpy form (a bound on the thread count's influence: none). */
    static final int K_PIECE = 128;

    private Gemv() {}

    /**
     * y[yOff + j·yStride] = alpha · Σ_p x[xOff + p] · M[mOff + p·ld + j] + beta · y, for j in [0, n):
     * M is [k, n] row-major, x is [k] contiguous.
     *
     * <p>M is cut into pieces of {@link #K_PIECE} rows: each piece is one contiguous stretch of memory
     * (for a weight matrix), streamed start to end by one thread into its own partial sum [n], and the
     * partial sums are added in piece order. Splitting the output columns instead would have each
     * thread read short strided runs of every row, which streams more slowly.
     */
    static void axpyForm(int n, int k, float alpha, float[] x, int xOff, float[] m, int mOff, int ld,
                         float beta, float[] y, int yOff, int yStride) {
        int pieces = Math.max(1, (k + K_PIECE - 1) / K_PIECE);
        float[] partial = Scratch.floats(pieces * n);
        int minPieces = (int) Math.max(1, MIN_WORK_PER_THREAD / ((long) K_PIECE * n));   // per thread
        Parallel.forRange(pieces, minPieces, (from, to) -> {
            for (int c = from; c < to; c++) {
                int p0 = c * K_PIECE, p1 = Math.min(k, p0 + K_PIECE);
                for (int b0 = 0; b0 < n; b0 += AXPY_BLOCK) {
                    int b1 = Math.min(n, b0 + AXPY_BLOCK);
                    axpyBlock(b0, b1, p0, p1, x, xOff, m, mOff, ld, partial, c * n);
                }
            }
        });
        for (int j = 0; j < n; j++) {
            float s = partial[j];
            for (int c = 1; c < pieces; c++) s += partial[c * n + j];
            int yi = yOff + j * yStride;
            y[yi] = MicroKernel.combine(s, y[yi], alpha, beta);
        }
    }

    /**
     * acc[aOff + j] = Σ_{p in [p0, p1)} x[p] · M[p, j] for j in [j0, j1), four rows of M per sweep
     * over acc.
     */
    private static void axpyBlock(int j0, int j1, int p0, int p1, float[] x, int xOff, float[] m, int mOff, int ld,
                                  float[] acc, int aOff) {
        int w = j1 - j0;
        java.util.Arrays.fill(acc, aOff + j0, aOff + j1, 0f);
        int vEnd = j0 + S.loopBound(w);
        int p = p0;
        for (; p + 4 <= p1; p += 4) {
            float x0 = x[xOff + p], x1 = x[xOff + p + 1], x2 = x[xOff + p + 2], x3 = x[xOff + p + 3];
            FloatVector v0 = FloatVector.broadcast(S, x0), v1 = FloatVector.broadcast(S, x1);
            FloatVector v2 = FloatVector.broadcast(S, x2), v3 = FloatVector.broadcast(S, x3);
            int r0 = mOff + p * ld, r1 = r0 + ld, r2 = r1 + ld, r3 = r2 + ld;
            for (int j = j0; j < vEnd; j += L) {
                FloatVector yv = FloatVector.fromArray(S, acc, aOff + j);
                yv = v0.fma(FloatVector.fromArray(S, m, r0 + j), yv);
                yv = v1.fma(FloatVector.fromArray(S, m, r1 + j), yv);
                yv = v2.fma(FloatVector.fromArray(S, m, r2 + j), yv);
                yv = v3.fma(FloatVector.fromArray(S, m, r3 + j), yv);
                yv.intoArray(acc, aOff + j);
            }
            for (int j = vEnd; j < j1; j++) {
                float yv = acc[aOff + j];
                yv = Math.fma(x0, m[r0 + j], yv);
                yv = Math.fma(x1, m[r1 + j], yv);
                yv = Math.fma(x2, m[r2 + j], yv);
                yv = Math.fma(x3, m[r3 + j], yv);
                acc[aOff + j] = yv;
            }
        }
        for (; p < p1; p++) {
            float x0 = x[xOff + p];
            FloatVector v0 = FloatVector.broadcast(S, x0);
            int r0 = mOff + p * ld;
            for (int j = j0; j < vEnd; j += L) {
                v0.fma(FloatVector.fromArray(S, m, r0 + j), FloatVector.fromArray(S, acc, aOff + j)).intoArray(acc, aOff + j);
            }
            for (int j = vEnd; j < j1; j++) acc[aOff + j] = Math.fma(x0, m[r0 + j], acc[aOff + j]);
        }
    }

    /**
     * y[yOff + j·yStride] = alpha · Σ_p M[mOff + j·ld + p] · x[xOff + p] + beta · y, for j in [0, n):
     * M is [n, k] row-major, x is [k] contiguous.
     */
    static void dotForm(int n, int k, float alpha, float[] x, int xOff, float[] m, int mOff, int ld,
                        float beta, float[] y, int yOff, int yStride) {
        int parts = parts((long) n * k, n / 4);
        Parallel.forRange(parts, 1, (from, to) -> {
            for (int t = from; t < to; t++) {
                int j = split(n, parts, t), j1 = split(n, parts, t + 1);
                for (; j + 4 <= j1; j += 4) dot4(j, k, alpha, x, xOff, m, mOff, ld, beta, y, yOff, yStride);
                for (; j < j1; j++) {
                    int yi = yOff + j * yStride;
                    y[yi] = MicroKernel.combine(dot(k, x, xOff, m, mOff + j * ld), y[yi], alpha, beta);
                }
            }
        });
    }

    /** Four rows against x at once (x read once for four rows); same summation order as {@link #dot}. */
    private static void dot4(int j, int k, float alpha, float[] x, int xOff, float[] m, int mOff, int ld,
                             float beta, float[] y, int yOff, int yStride) {
        int r0 = mOff + j * ld, r1 = r0 + ld, r2 = r1 + ld, r3 = r2 + ld;
        FloatVector a0 = FloatVector.zero(S), a1 = FloatVector.zero(S), a2 = FloatVector.zero(S), a3 = FloatVector.zero(S);
        int vEnd = S.loopBound(k);
        for (int p = 0; p < vEnd; p += L) {
            FloatVector xv = FloatVector.fromArray(S, x, xOff + p);
            a0 = FloatVector.fromArray(S, m, r0 + p).fma(xv, a0);
            a1 = FloatVector.fromArray(S, m, r1 + p).fma(xv, a1);
            a2 = FloatVector.fromArray(S, m, r2 + p).fma(xv, a2);
            a3 = FloatVector.fromArray(S, m, r3 + p).fma(xv, a3);
        }
        float s0 = LaneSum.of(a0), s1 = LaneSum.of(a1);
        float s2 = LaneSum.of(a2), s3 = LaneSum.of(a3);
        for (int p = vEnd; p < k; p++) {
            float xv = x[xOff + p];
            s0 = Math.fma(m[r0 + p], xv, s0);
            s1 = Math.fma(m[r1 + p], xv, s1);
            s2 = Math.fma(m[r2 + p], xv, s2);
            s3 = Math.fma(m[r3 + p], xv, s3);
        }
        int yi = yOff + j * yStride;
        y[yi] = MicroKernel.combine(s0, y[yi], alpha, beta);
        y[yi + yStride] = MicroKernel.combine(s1, y[yi + yStride], alpha, beta);
        y[yi + 2 * yStride] = MicroKernel.combine(s2, y[yi + 2 * yStride], alpha, beta);
        y[yi + 3 * yStride] = MicroKernel.combine(s3, y[yi + 3 * yStride], alpha, beta);
    }

    private static float dot(int k, float[] x, int xOff, float[] m, int r0) {
        FloatVector a0 = FloatVector.zero(S);
        int vEnd = S.loopBound(k);
        for (int p = 0; p < vEnd; p += L) {
            a0 = FloatVector.fromArray(S, m, r0 + p).fma(FloatVector.fromArray(S, x, xOff + p), a0);
        }
        float s = LaneSum.of(a0);
        for (int p = vEnd; p < k; p++) s = Math.fma(m[r0 + p], x[xOff + p], s);
        return s;
    }

    /** Number of pieces to split the output into: one per thread when the work is worth it. */
    private static int parts(long work, int maxParts) {
        int t = Parallel.threads();
        long byWork = work / MIN_WORK_PER_THREAD;
        return (int) Math.max(1, Math.min(t, Math.min(byWork, maxParts)));
    }

    /** Boundary of piece t of [0, n) split into parts, aligned to the vector length. */
    private static int split(int n, int parts, int t) {
        if (t >= parts) return n;
        long b = (long) n * t / parts;
        return (int) Math.min(n, (b + L - 1) / L * L);
    }
}
