package dev.loupe.tensor.bf16;

import dev.loupe.tensor.LaneSum;
import dev.loupe.tensor.Parallel;
import dev.loupe.tensor.Scratch;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * One float32 row times a bfloat16 matrix, accumulated in float32: the decoding step's products
 * with weights stored as {@link Bf16Matrix}. Every weight is read once, so speed is memory
 * bandwidth, and bfloat16 halves the bytes. A weight is widened in registers: L bfloat16 values
 * (L·16 bits) load as a short vector, are sign-extended to int lanes and shifted left 16 bits, which
 * is their float32 bit pattern. Both forms read four rows of W at a time; in the matrix's row
 * quads (see {@link Bf16Matrix}) those four rows lie one after the other in 16-column chunks, so
 * the kernel streams a single run of memory.
 *
 * <p>Both forms split the work into pieces whose boundaries depend only on the sizes, never on the
 * thread count, and add the pieces in a fixed order: the result is the same for any thread count
 * and run to run.
 */
final class Bf16Gemv {
    /** At most 16 lanes, so that a vector never spans two of the row quads' 16-column chunks. */
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED.length() <= Bf16Matrix.CHUNK
            ? FloatVector.SPECIES_PREFERRED : FloatVector.SPECIES_512;
    static final int L = F.length();
    static final VectorSpecies<Short> SH = VectorSpecies.of(short.class, VectorShape.forBitSize(L * Short.SIZE));
    static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    /** Rows of W per piece of the axpy form: a contiguous stretch of memory, streamed by one thread (a multiple of 4: whole quads). */
    static final int K_PIECE = 128;
    /** Rows of W per piece of the dot form (a multiple of 4: whole quads). */
    static final int N_PIECE = 256;

    private Bf16Gemv() {}

    /** L bfloat16 values from {@code w[off]} as float32 lanes. */
    static FloatVector load(short[] w, int off) {
        return ((IntVector) ShortVector.fromArray(SH, w, off).convertShape(VectorOperators.S2I, I, 0))
                .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    static float widen(short b) {
        return Float.intBitsToFloat(b << 16);
    }

    /**
     * y[n] = x[k] · W, W [k, n] row-major (the Conv1D orientation of GPT-2's c_attn, c_proj, c_fc).
     * W is cut into pieces of {@link #K_PIECE} rows, each a contiguous block streamed by one thread into
     * its own partial sum [n]; the partial sums are then added in piece order.
     */
    static void axpy(float[] x, int xOff, Bf16Matrix w, float[] y, int yOff) {
        int k = w.rows(), n = w.cols();
        int pieces = Math.max(1, (k + K_PIECE - 1) / K_PIECE);
        float[] partial = Scratch.floats(pieces * n);
        short[] m = w.storage();
        int quadRows = w.quadRows();
        Parallel.forRange(pieces, (int) Math.max(1, (1 << 15) / ((long) K_PIECE * n)), (from, to) -> {
            for (int c = from; c < to; c++) {
                axpyRows(c * K_PIECE, Math.min(k, (c + 1) * K_PIECE), quadRows, n, x, xOff, m, partial, c * n);
            }
        });
        sumPieces(partial, pieces, n, y, yOff);
    }

    /**
     * acc[aOff + j] = Σ_{p in [p0, p1)} x[p] · W[p, j] for every j, four rows per sweep; p0 is a
     * multiple of 4, rows below {@code quadRows} are stored in quads.
     */
    private static void axpyRows(int p0, int p1, int quadRows, int n, float[] x, int xOff, short[] m, float[] acc, int aOff) {
        java.util.Arrays.fill(acc, aOff, aOff + n, 0f);
        int vEnd = F.loopBound(n);
        int p = p0;
        for (; p + 4 <= p1; p += 4) {
            float x0 = x[xOff + p], x1 = x[xOff + p + 1], x2 = x[xOff + p + 2], x3 = x[xOff + p + 3];
            FloatVector v0 = FloatVector.broadcast(F, x0), v1 = FloatVector.broadcast(F, x1);
            FloatVector v2 = FloatVector.broadcast(F, x2), v3 = FloatVector.broadcast(F, x3);
            if (p < quadRows) {                        // one quad: rows p … p+3 interleaved, n a multiple of 16
                int q = p * n;
                for (int j = 0; j < n; j += L) {
                    int o = q + 4 * (j & -16) + (j & 15);
                    FloatVector a = FloatVector.fromArray(F, acc, aOff + j);
                    a = v0.fma(load(m, o), a);
                    a = v1.fma(load(m, o + 16), a);
                    a = v2.fma(load(m, o + 32), a);
                    a = v3.fma(load(m, o + 48), a);
                    a.intoArray(acc, aOff + j);
                }
                continue;
            }
            int r0 = p * n, r1 = r0 + n, r2 = r1 + n, r3 = r2 + n;
            for (int j = 0; j < vEnd; j += L) {
                FloatVector a = FloatVector.fromArray(F, acc, aOff + j);
                a = v0.fma(load(m, r0 + j), a);
                a = v1.fma(load(m, r1 + j), a);
                a = v2.fma(load(m, r2 + j), a);
                a = v3.fma(load(m, r3 + j), a);
                a.intoArray(acc, aOff + j);
            }
            for (int j = vEnd; j < n; j++) {
                float a = acc[aOff + j];
                a = Math.fma(x0, widen(m[r0 + j]), a);
                a = Math.fma(x1, widen(m[r1 + j]), a);
                a = Math.fma(x2, widen(m[r2 + j]), a);
                a = Math.fma(x3, widen(m[r3 + j]), a);
                acc[aOff + j] = a;
            }
        }
        for (; p < p1; p++) {
            float x0 = x[xOff + p];
            FloatVector v0 = FloatVector.broadcast(F, x0);
            int r0 = p * n;
            for (int j = 0; j < vEnd; j += L) {
                v0.fma(load(m, r0 + j), FloatVector.fromArray(F, acc, aOff + j)).intoArray(acc, aOff + j);
            }
            for (int j = vEnd; j < n; j++) acc[aOff + j] = Math.fma(x0, widen(m[r0 + j]), acc[aOff + j]);
        }
    }

    /** y[j] = partial[0][j] + partial[1][j] + … (pieces of n values each), in piece order. */
    static void sumPieces(float[] partial, int pieces, int n, float[] y, int yOff) {
        int vEnd = F.loopBound(n);
        for (int j = 0; j < vEnd; j += L) {
            FloatVector s = FloatVector.fromArray(F, partial, j);
            for (int c = 1; c < pieces; c++) s = s.add(FloatVector.fromArray(F, partial, c * n + j));
            s.intoArray(y, yOff + j);
        }
        for (int j = vEnd; j < n; j++) {
            float s = partial[j];
            for (int c = 1; c < pieces; c++) s += partial[c * n + j];
            y[yOff + j] = s;
        }
    }

    /**
     * y[n] = x[k] · Wᵀ, W [n, k] row-major (the unembedding, stored [V, d_model]): each output is the
     * dot product of one row of W with x. Rows are split into pieces of {@link #N_PIECE}.
     */
    static void dot(float[] x, int xOff, Bf16Matrix w, float[] y, int yOff) {
        int n = w.rows(), k = w.cols();
        short[] m = w.storage();
        int quadRows = w.quadRows();
        int pieces = Math.max(1, (n + N_PIECE - 1) / N_PIECE);
        Parallel.forRange(pieces, (int) Math.max(1, (1 << 15) / ((long) N_PIECE * k)), (from, to) -> {
            for (int c = from; c < to; c++) {
                int j = c * N_PIECE, j1 = Math.min(n, j + N_PIECE);
                for (; j + 4 <= j1; j += 4) {
                    if (j < quadRows) dot4Quad(j, k, x, xOff, m, y, yOff);
                    else dot4(j, k, x, xOff, m, y, yOff);
                }
                for (; j < j1; j++) y[yOff + j] = dot1(j * k, k, x, xOff, m);
            }
        });
    }

    /** As {@link #dot4} for rows j … j+3 stored as one quad (k a multiple of 16): the same sums in the same order. */
    private static void dot4Quad(int j, int k, float[] x, int xOff, short[] m, float[] y, int yOff) {
        int q = j * k;
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
        for (int p = 0; p < k; p += L) {
            int o = q + 4 * (p & -16) + (p & 15);
            FloatVector xv = FloatVector.fromArray(F, x, xOff + p);
            a0 = load(m, o).fma(xv, a0);
            a1 = load(m, o + 16).fma(xv, a1);
            a2 = load(m, o + 32).fma(xv, a2);
            a3 = load(m, o + 48).fma(xv, a3);
        }
        y[yOff + j] = LaneSum.of(a0);
        y[yOff + j + 1] = LaneSum.of(a1);
        y[yOff + j + 2] = LaneSum.of(a2);
        y[yOff + j + 3] = LaneSum.of(a3);
    }

    /** Rows j … j+3 of W against x, x read once for four rows; same summation order as {@link #dot1}. */
    private static void dot4(int j, int k, float[] x, int xOff, short[] m, float[] y, int yOff) {
        int r0 = j * k, r1 = r0 + k, r2 = r1 + k, r3 = r2 + k;
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
        int vEnd = F.loopBound(k);
        for (int p = 0; p < vEnd; p += L) {
            FloatVector xv = FloatVector.fromArray(F, x, xOff + p);
            a0 = load(m, r0 + p).fma(xv, a0);
            a1 = load(m, r1 + p).fma(xv, a1);
            a2 = load(m, r2 + p).fma(xv, a2);
            a3 = load(m, r3 + p).fma(xv, a3);
        }
        float s0 = LaneSum.of(a0), s1 = LaneSum.of(a1), s2 = LaneSum.of(a2), s3 = LaneSum.of(a3);
        for (int p = vEnd; p < k; p++) {
            float xv = x[xOff + p];
            s0 = Math.fma(widen(m[r0 + p]), xv, s0);
            s1 = Math.fma(widen(m[r1 + p]), xv, s1);
            s2 = Math.fma(widen(m[r2 + p]), xv, s2);
            s3 = Math.fma(widen(m[r3 + p]), xv, s3);
        }
        y[yOff + j] = s0;
        y[yOff + j + 1] = s1;
        y[yOff + j + 2] = s2;
        y[yOff + j + 3] = s3;
    }

    private static float dot1(int r0, int k, float[] x, int xOff, short[] m) {
        FloatVector a = FloatVector.zero(F);
        int vEnd = F.loopBound(k);
        for (int p = 0; p < vEnd; p += L) a = load(m, r0 + p).fma(FloatVector.fromArray(F, x, xOff + p), a);
        float s = LaneSum.of(a);
        for (int p = vEnd; p < k; p++) s = Math.fma(widen(m[r0 + p]), x[xOff + p], s);
        return s;
    }
}
