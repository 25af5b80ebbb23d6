package dev.loupe.tensor.ops;

import jdk.incubator.vector.FloatVector;

import static dev.loupe.tensor.ops.KernelSupport.L;
import static dev.loupe.tensor.ops.KernelSupport.S;

/**
 * Causal softmax attention of one head over T positions, forward and backward, with the Vector API
 * on the calling thread (the caller runs heads in parallel). Operands are rows of {@code float[]}
 * arrays with their own row strides, so q, k and v can be the column blocks of a fused q|k|v matrix
 * [T, 3·d_model] as they are, and the pattern a [T, keyCapacity] buffer:
 *
 * <pre>
 *   forward:  S = Q Kᵀ · scale           // [T, d_head]·[d_head, T] → [T, T], row i only for keys j ≤ i
 *             P = softmax(S) per row      // over j ≤ i; the masked entries j &gt; i are written as 0
 *             Z = P V                     // [T, T]·[T, d_head] → [T, d_head]
 *   backward: dP = dZ Vᵀ                  // j ≤ i only
 *             dS = P ⊙ (dP − rowsum(dP ⊙ P))   (masked entries 0)
 *             dV = Pᵀ dZ,  dQ = dS K · scale,  dK = dSᵀ Q · scale
 * </pre>
 *
 * <p>Why not one BLAS call per product: at GPT-2's d_head = 64 the per-head products are small
 * (256 × 64 × 256 at T = 256), a BLAS library threads them again inside the caller's parallel loop over
 * heads, and a general GEMM cannot skip the masked upper triangle, which is half of every product.
 * Here each product is a loop of {@value #MR} × 2-vector register tiles (the shape of
 * {@code dev.loupe.tensor.matmul.MicroKernel}) over only the causal part: for a tile of query rows
 * i₀ … i₀ + {@value #MR} − 1, the keys 0 … i₀ + {@value #MR} − 1.
 *
 * <p>Determinism: each output element is summed in a fixed order that depends only on T and d_head,
 * so results are the same for any thread count, compiled or interpreted (FMA, multiply and add only;
 * exp is {@link VectorExp}). Against a float64 evaluation the outputs agree to float32 rounding
 * (a few 10⁻⁷ relative for T ≤ 1024).
 */
public final class AttentionKernels {
    private AttentionKernels() {}

    /** Rows of a register tile. */
    static final int MR = 6;
    /** Columns of a register tile: two vectors. */
    static final int NR = 2 * L;

    /** Per-thread scratch: a transposed operand [d_head, T rounded up to NR], B's panels, the tile's spill. */
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /**
     * One head's forward pass. q, k, v rows i at {@code qo + i·ldq} etc. (d_head values each); writes
     * the pattern P row i at {@code po + i·ldp} (T values, 0 above the diagonal) and z row i at
     * {@code zo + i·ldz} (d_head values).
     */
    public static void forward(int t, int dHead, float scale,
                               float[] q, int qo, int ldq, float[] k, int ko, int ldk, float[] v, int vo, int ldv,
                               float[] p, int po, int ldp, float[] z, int zo, int ldz) {
        Scratch s = SCRATCH.get();
        int ldt = transposedStride(t);
        float[] kT = s.transposed(k, ko, ldk, t, dHead, ldt);                         // Kᵀ [d_head, T]
        for (int i0 = 0; i0 < t; i0 += MR) {
            int rows = Math.min(MR, t - i0), keys = i0 + rows;
            for (int j0 = 0; j0 < keys; j0 += NR) {                                   // S = Q Kᵀ · scale, j < i₀ + MR
                tile(0, dHead, q, qo + i0 * ldq, ldq, 1, kT, j0, ldt, scale, p, po + i0 * ldp + j0, ldp,
                        rows, Math.min(NR, keys - j0), s.tmp);
            }
            for (int r = 0; r < rows; r++) SoftmaxKernels.softmaxRow(p, po + (i0 + r) * ldp, t, i0 + r + 1);
        }
        productOverKeys(t, dHead, 1f, p, po, ldp, v, vo, ldv, z, zo, ldz, s);         // Z = P V
    }

    /**
     * One head's backward pass from dz (rows at {@code go + i·ldg}) and the forward's q, k, v and
     * pattern p: overwrites dq, dk, dv (d_head values per row) and uses {@code dp} [T, ldd] as
     * scratch (on return it holds dS, 0 above the diagonal).
     */
    public static void backward(int t, int dHead, float scale,
                                float[] q, int qo, int ldq, float[] k, int ko, int ldk, float[] v, int vo, int ldv,
                                float[] p, int po, int ldp, float[] dz, int go, int ldg,
                                float[] dp, int dpo, int ldd,
                                float[] dq, int dqo, int lddq, float[] dk, int dko, int lddk, float[] dv, int dvo, int lddv) {
        Scratch s = SCRATCH.get();
        int ldt = transposedStride(t);
        float[] vT = s.transposed(v, vo, ldv, t, dHead, ldt);                         // Vᵀ [d_head, T]
        for (int i0 = 0; i0 < t; i0 += MR) {
            int rows = Math.min(MR, t - i0), keys = i0 + rows;
            for (int j0 = 0; j0 < keys; j0 += NR) {                                   // dP = dZ Vᵀ, j < i₀ + MR
                tile(0, dHead, dz, go + i0 * ldg, ldg, 1, vT, j0, ldt, 1f, dp, dpo + i0 * ldd + j0, ldd,
                        rows, Math.min(NR, keys - j0), s.tmp);
            }
            for (int r = 0; r < rows; r++) {                                          // dS, 0 for j > i
                int i = i0 + r;
                SoftmaxKernels.softmaxBackwardRow(p, po + i * ldp, dp, dpo + i * ldd, dp, dpo + i * ldd, i + 1);
                java.util.Arrays.fill(dp, dpo + i * ldd + i + 1, dpo + i * ldd + t, 0f);
            }
        }
        productOverQueries(t, dHead, 1f, p, po, ldp, dz, go, ldg, dv, dvo, lddv, s);   // dV = Pᵀ dZ
        productOverKeys(t, dHead, scale, dp, dpo, ldd, k, ko, ldk, dq, dqo, lddq, s);  // dQ = dS K · scale
        productOverQueries(t, dHead, scale, dp, dpo, ldd, q, qo, ldq, dk, dko, lddk, s); // dK = dSᵀ Q · scale
    }

    /**
     * out[i, :] = alpha · Σ_{j ≤ i} a[i, j] · b[j, :] for a lower-triangular a [T, T] (zero above the
     * diagonal, so a tile of rows may sum up to its last row's j) and b [T, d_head].
     *
     * <p>b is first copied into dense [T, NR] panels, one per block of NR columns: its rows are those
     * of the fused q|k|v matrix, 3·d_model floats apart (3 KB at d_model 256), a distance at which the
     * rows the tiles read fell into a few L1 sets. Each strip of MR rows of a then meets every panel
     * in turn while its rows are still in L1. With the panels (and the column blocks inside the row
     * strips) the backward of 32 heads at T = 512 took 22.5–23.5 ms, against 26.3–27.3 before.
     */
    private static void productOverKeys(int t, int dHead, float alpha, float[] a, int ao, int lda, float[] b, int bo, int ldb,
                                        float[] out, int oo, int ldo, Scratch s) {
        float[] panels = s.panels(b, bo, ldb, t, dHead);                               // B → [d_head / NR][T, NR]
        for (int i0 = 0; i0 < t; i0 += MR) {
            int rows = Math.min(MR, t - i0);
            for (int c0 = 0; c0 < dHead; c0 += NR) {
                tile(0, i0 + rows, a, ao + i0 * lda, lda, 1, panels, c0 * t, NR, alpha, out, oo + i0 * ldo + c0, ldo,
                        rows, Math.min(NR, dHead - c0), s.tmp);
            }
        }
    }

    /**
     * out[j, :] = alpha · Σ_{i ≥ j} a[i, j] · b[i, :] for a lower-triangular a [T, T] and b [T, d_head]:
     * the transposed product (rows of the output are keys). b as in {@link #productOverKeys}. (Copying
     * each strip of MR columns of a into a dense block first, against the L1 conflicts of its rows
     * T floats apart, measured slower: 25–28 against 22.5–23.5 ms for the backward of 32 heads at T = 512.)
     */
    private static void productOverQueries(int t, int dHead, float alpha, float[] a, int ao, int lda, float[] b, int bo, int ldb,
                                           float[] out, int oo, int ldo, Scratch s) {
        float[] panels = s.panels(b, bo, ldb, t, dHead);
        for (int j0 = 0; j0 < t; j0 += MR) {
            int rows = Math.min(MR, t - j0);
            for (int c0 = 0; c0 < dHead; c0 += NR) {
                tile(j0, t, a, ao + j0, 1, lda, panels, c0 * t, NR, alpha, out, oo + j0 * ldo + c0, ldo,
                        rows, Math.min(NR, dHead - c0), s.tmp);
            }
        }
    }

    /**
     * C[rows, cols] = alpha · Σ_{p ∈ [p0, p1)} A(r, p) · B[p, 0 .. cols), with A(r, p) =
     * {@code a[ao + r·ars + p·acs]} (row-major A: ars = lda, acs = 1; transposed: ars = 1, acs = lda)
     * and B rows at {@code bo + p·ldb}, each readable for NR values. Rows r ≥ rows repeat the last row
     * and are not stored; edge tiles are stored through {@code tmp}.
     */
    private static void tile(int p0, int p1, float[] a, int ao, int ars, int acs, float[] b, int bo, int ldb,
                             float alpha, float[] c, int co, int ldc, int rows, int cols, float[] tmp) {
        int a0 = ao, a1 = ao + Math.min(1, rows - 1) * ars, a2 = ao + Math.min(2, rows - 1) * ars;
        int a3 = ao + Math.min(3, rows - 1) * ars, a4 = ao + Math.min(4, rows - 1) * ars, a5 = ao + Math.min(5, rows - 1) * ars;
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        for (int p = p0; p < p1; p++) {
            int bi = bo + p * ldb, ap = p * acs;
            FloatVector b0 = FloatVector.fromArray(S, b, bi);
            FloatVector b1 = FloatVector.fromArray(S, b, bi + L);
            FloatVector x = FloatVector.broadcast(S, a[a0 + ap]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, a[a1 + ap]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, a[a2 + ap]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, a[a3 + ap]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, a[a4 + ap]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, a[a5 + ap]);
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
        }
        boolean whole = rows == MR && cols == NR;   // an edge tile goes through tmp, then its valid part to C
        float[] d = whole ? c : tmp;
        int o = whole ? co : 0, ld = whole ? ldc : NR;
        // written out: a vector passed to a method C2 does not inline is boxed
        c00.mul(alpha).intoArray(d, o);
        c01.mul(alpha).intoArray(d, o + L);
        c10.mul(alpha).intoArray(d, o + ld);
        c11.mul(alpha).intoArray(d, o + ld + L);
        c20.mul(alpha).intoArray(d, o + 2 * ld);
        c21.mul(alpha).intoArray(d, o + 2 * ld + L);
        c30.mul(alpha).intoArray(d, o + 3 * ld);
        c31.mul(alpha).intoArray(d, o + 3 * ld + L);
        c40.mul(alpha).intoArray(d, o + 4 * ld);
        c41.mul(alpha).intoArray(d, o + 4 * ld + L);
        c50.mul(alpha).intoArray(d, o + 5 * ld);
        c51.mul(alpha).intoArray(d, o + 5 * ld + L);
        if (whole) return;
        for (int r = 0; r < rows; r++) System.arraycopy(tmp, r * NR, c, co + r * ldc, cols);
    }

    /**
     * Row stride of the transposed operand, in floats: T rounded up to whole tiles and 64-byte cache
     * lines, plus one line when that makes an even number of lines, so that the stride is odd. A tile reads one row of it per step
     * of its loop (d_head rows in all), and rows whose distance is a multiple of 4 KB fall in the same
     * L1 set (set index = address bits 6–11): at T = 1024 (4 KB rows) or 512 (2 KB) the rows a tile
     * reads evicted each other and every load went to L2. An odd number of lines spreads them over
     * all the sets.
     */
    static int transposedStride(int t) {
        int ld = roundUp(roundUp(t, NR), 16);                                         // whole tiles, whole lines
        return (ld / 16) % 2 == 0 ? ld + 16 : ld;
    }

    private static int roundUp(int x, int m) {
        return (x + m - 1) / m * m;
    }

    /** One thread's reusable buffers, grown on demand. */
    private static final class Scratch {
        float[] transposed = new float[0];
        float[] panels = new float[0];
        final float[] tmp = new float[MR * NR];

        /** m [T, d_head] (rows at {@code o + i·ld}) transposed into [d_head, ldt], columns T … ldt − 1 zero. */
        float[] transposed(float[] m, int o, int ld, int t, int dHead, int ldt) {
            if (transposed.length < dHead * ldt) transposed = new float[dHead * ldt];
            float[] out = transposed;
            for (int c = 0; c < dHead; c++) java.util.Arrays.fill(out, c * ldt + t, (c + 1) * ldt, 0f);
            for (int i = 0; i < t; i++) {
                int src = o + i * ld;
                for (int c = 0; c < dHead; c++) out[c * ldt + i] = m[src + c];
            }
            return out;
        }

        /**
         * m [T, d_head] (rows at {@code o + i·ld}) as d_head / NR dense panels [T, NR], panel c at
         * {@code c·NR·T}; a last narrow panel is zero-padded to NR columns.
         */
        float[] panels(float[] m, int o, int ld, int t, int dHead) {
            int blocks = (dHead + NR - 1) / NR;
            if (panels.length < blocks * t * NR) panels = new float[blocks * t * NR];
            float[] out = panels;
            for (int c0 = 0, base = 0; c0 < dHead; c0 += NR, base += t * NR) {
                int cols = Math.min(NR, dHead - c0);
                for (int i = 0; i < t; i++) {
                    System.arraycopy(m, o + i * ld + c0, out, base + i * NR, cols);
                    if (cols < NR) java.util.Arrays.fill(out, base + i * NR + cols, base + (i + 1) * NR, 0f);
                }
            }
            return out;
        }
    }
}
