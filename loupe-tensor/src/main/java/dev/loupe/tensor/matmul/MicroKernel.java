package dev.loupe.tensor.matmul;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The register tile at the heart of {@link JavaMatmul}: a {@value #MR} × {@link #NR} block of C
 * held in 12 vector registers while a packed sliver of A (MR values per step) and a packed sliver
 * of B (NR values per step) stream past, one rank-1 update (12 FMAs) per step of k. This is the
 * BLIS/GotoBLAS micro-kernel (Van Zee &amp; van de Geijn, "BLIS", 2015; Haswell's 6×16 shape):
 * 12 accumulators + 2 B vectors + 1 broadcast A value = 15 of AVX2's 16 ymm registers.
 */
final class MicroKernel {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();
    /** Rows of the register tile. */
    static final int MR = 6;
    /** Columns of the register tile: two vectors. */
    static final int NR = 2 * L;

    private MicroKernel() {}

    /**
     * C[rows, cols] tile at {@code cOff} (row stride ldc) = alpha · Ap · Bp + (first ? beta · C : C),
     * where Ap is a packed [kc, MR] sliver (MR consecutive values per k) and Bp a packed [kc, NR] one.
     * {@code rows < MR} or {@code cols < NR} marks an edge tile (its packed padding is zero);
     * {@code tmp} holds MR·NR floats for that case. {@code beta == 0} on the first pass ignores C.
     */
    static void tile(int kc, float[] ap, int aOff, float[] bp, int bOff,
                     float[] c, int cOff, int ldc, int rows, int cols,
                     float alpha, float beta, boolean first, float[] tmp) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            int bi = bOff + p * NR;
            int ai = aOff + p * MR;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + L);
            FloatVector a = FloatVector.broadcast(S, ap[ai]);
            c00 = a.fma(b0, c00);
            c01 = a.fma(b1, c01);
            a = FloatVector.broadcast(S, ap[ai + 1]);
            c10 = a.fma(b0, c10);
            c11 = a.fma(b1, c11);
            a = FloatVector.broadcast(S, ap[ai + 2]);
            c20 = a.fma(b0, c20);
            c21 = a.fma(b1, c21);
            a = FloatVector.broadcast(S, ap[ai + 3]);
            c30 = a.fma(b0, c30);
            c31 = a.fma(b1, c31);
            a = FloatVector.broadcast(S, ap[ai + 4]);
            c40 = a.fma(b0, c40);
            c41 = a.fma(b1, c41);
            a = FloatVector.broadcast(S, ap[ai + 5]);
            c50 = a.fma(b0, c50);
            c51 = a.fma(b1, c51);
        }
        float b = first ? beta : 1f;
        if (rows == MR && cols == NR) {
            // Written out in full: a vector passed to a call C2 does not inline is boxed (10x slower).
            if (b == 0f) {
                FloatVector va = FloatVector.broadcast(S, alpha);
                c00.mul(va).intoArray(c, cOff);
                c01.mul(va).intoArray(c, cOff + L);
                c10.mul(va).intoArray(c, cOff + ldc);
                c11.mul(va).intoArray(c, cOff + ldc + L);
                c20.mul(va).intoArray(c, cOff + 2 * ldc);
                c21.mul(va).intoArray(c, cOff + 2 * ldc + L);
                c30.mul(va).intoArray(c, cOff + 3 * ldc);
                c31.mul(va).intoArray(c, cOff + 3 * ldc + L);
                c40.mul(va).intoArray(c, cOff + 4 * ldc);
                c41.mul(va).intoArray(c, cOff + 4 * ldc + L);
                c50.mul(va).intoArray(c, cOff + 5 * ldc);
                c51.mul(va).intoArray(c, cOff + 5 * ldc + L);
            } else {
                FloatVector va = FloatVector.broadcast(S, alpha), vb = FloatVector.broadcast(S, b);
                FloatVector.fromArray(S, c, cOff).fma(vb, c00.mul(va)).intoArray(c, cOff);
                FloatVector.fromArray(S, c, cOff + L).fma(vb, c01.mul(va)).intoArray(c, cOff + L);
                FloatVector.fromArray(S, c, cOff + ldc).fma(vb, c10.mul(va)).intoArray(c, cOff + ldc);
                FloatVector.fromArray(S, c, cOff + ldc + L).fma(vb, c11.mul(va)).intoArray(c, cOff + ldc + L);
                FloatVector.fromArray(S, c, cOff + 2 * ldc).fma(vb, c20.mul(va)).intoArray(c, cOff + 2 * ldc);
                FloatVector.fromArray(S, c, cOff + 2 * ldc + L).fma(vb, c21.mul(va)).intoArray(c, cOff + 2 * ldc + L);
                FloatVector.fromArray(S, c, cOff + 3 * ldc).fma(vb, c30.mul(va)).intoArray(c, cOff + 3 * ldc);
                FloatVector.fromArray(S, c, cOff + 3 * ldc + L).fma(vb, c31.mul(va)).intoArray(c, cOff + 3 * ldc + L);
                FloatVector.fromArray(S, c, cOff + 4 * ldc).fma(vb, c40.mul(va)).intoArray(c, cOff + 4 * ldc);
                FloatVector.fromArray(S, c, cOff + 4 * ldc + L).fma(vb, c41.mul(va)).intoArray(c, cOff + 4 * ldc + L);
                FloatVector.fromArray(S, c, cOff + 5 * ldc).fma(vb, c50.mul(va)).intoArray(c, cOff + 5 * ldc);
                FloatVector.fromArray(S, c, cOff + 5 * ldc + L).fma(vb, c51.mul(va)).intoArray(c, cOff + 5 * ldc + L);
            }
            return;
        }
        c00.intoArray(tmp, 0);
        c01.intoArray(tmp, L);
        c10.intoArray(tmp, NR);
        c11.intoArray(tmp, NR + L);
        c20.intoArray(tmp, 2 * NR);
        c21.intoArray(tmp, 2 * NR + L);
        c30.intoArray(tmp, 3 * NR);
        c31.intoArray(tmp, 3 * NR + L);
        c40.intoArray(tmp, 4 * NR);
        c41.intoArray(tmp, 4 * NR + L);
        c50.intoArray(tmp, 5 * NR);
        c51.intoArray(tmp, 5 * NR + L);
        for (int r = 0; r < rows; r++) {
            int ci = cOff + r * ldc;
            for (int j = 0; j < cols; j++) {
                c[ci + j] = combine(tmp[r * NR + j], c[ci + j], alpha, b);
            }
        }
    }

    /** The scalar form of {@link #store}, rounding identically (one FMA after the alpha product). */
    static float combine(float acc, float old, float alpha, float beta) {
        float r = acc * alpha;
        return beta == 0f ? r : Math.fma(old, beta, r);
    }
}
