package dev.loupe.tensor.ops;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * The fused causal attention kernels against a plain float64 evaluation of the same formulas, on
 * q|k|v laid out as in a model (the column blocks of one [T, 3·d] matrix) and on separate arrays
 * with padded rows, for lengths and head widths that hit every tile edge (T not a multiple of the
 * 6-row tile, d_head narrower or wider than the 2-vector tile).
 *
 * <p>Tolerance: float32 sums of at most T·d_head terms of size ~1: 2e-5 relative to the largest
 * entry of each output. A wrong mask, a missing scale or a transposed index is off by far more.
 */
class AttentionKernelsTest {

    @Test
    void forwardAndBackwardMatchFloat64OnFusedQkvRows() {
        for (int[] td : new int[][] {{1, 8}, {5, 8}, {7, 13}, {13, 64}, {37, 32}, {64, 64}, {100, 40}, {257, 64}}) {
            check(td[0], td[1], true, td[0] * 31L + td[1]);
        }
    }

    @Test
    void separateOperandsWithPaddedRowsAndAWiderPatternBuffer() {
        check(19, 24, false, 7);
        check(50, 96, false, 8);
    }

    @Test
    void sameInputsGiveTheSameBitsEveryTime() {
        Case a = new Case(45, 64, true, 3), b = new Case(45, 64, true, 3);
        a.run();
        b.run();
        assertThat(a.z).isEqualTo(b.z);
        assertThat(a.dqkv).isEqualTo(b.dqkv);
        assertThat(a.p).isEqualTo(b.p);
    }

    /** The transposed operand's rows must not be a multiple of 4 KB (or 2 KB …) apart: an odd number of 64-byte lines, covering T. */
    @Test
    void theTransposedOperandsRowStrideIsAnOddNumberOfCacheLines() {
        for (int t : new int[] {1, 64, 255, 256, 512, 1000, 1008, 1024, 2048}) {
            int ld = AttentionKernels.transposedStride(t);
            assertThat(ld).as("covers whole tiles, T %d", t).isGreaterThanOrEqualTo((t + AttentionKernels.NR - 1) / AttentionKernels.NR * AttentionKernels.NR);
            assertThat((ld * Float.BYTES / 64) % 2).as("odd number of lines, T %d", t).isEqualTo(1);
        }
    }

    private static void check(int t, int dh, boolean fused, long seed) {
        Case c = new Case(t, dh, fused, seed);
        c.run();
        double scale = 1 / Math.sqrt(dh);
        double[][] q = c.rows(c.qkv, c.qo, c.ldq, t, dh), k = c.rows(c.qkv, c.ko, c.ldq, t, dh), v = c.rows(c.qkv, c.vo, c.ldq, t, dh);
        double[][] dz = c.rows(c.dz, 0, dh, t, dh);
        double[][] p = new double[t][t], z = new double[t][dh];
        for (int i = 0; i < t; i++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j <= i; j++) {
                double s = 0;
                for (int x = 0; x < dh; x++) s += q[i][x] * k[j][x];
                p[i][j] = s * scale;
                max = Math.max(max, p[i][j]);
            }
            double sum = 0;
            for (int j = 0; j <= i; j++) sum += p[i][j] = Math.exp(p[i][j] - max);
            for (int j = 0; j <= i; j++) p[i][j] /= sum;
            for (int j = 0; j <= i; j++) for (int x = 0; x < dh; x++) z[i][x] += p[i][j] * v[j][x];
        }
        double[][] ds = new double[t][t], dq = new double[t][dh], dk = new double[t][dh], dv = new double[t][dh];
        for (int i = 0; i < t; i++) {
            double[] dp = new double[t];
            double dot = 0;
            for (int j = 0; j <= i; j++) {
                for (int x = 0; x < dh; x++) dp[j] += dz[i][x] * v[j][x];
                dot += dp[j] * p[i][j];
            }
            for (int j = 0; j <= i; j++) ds[i][j] = p[i][j] * (dp[j] - dot);
            for (int j = 0; j <= i; j++) {
                for (int x = 0; x < dh; x++) {
                    dv[j][x] += p[i][j] * dz[i][x];
                    dq[i][x] += ds[i][j] * k[j][x] * scale;
                    dk[j][x] += ds[i][j] * q[i][x] * scale;
                }
            }
        }
        String at = "T " + t + ", d_head " + dh + (fused ? " fused" : " separate");
        assertClose(c.rows(c.p, c.po, c.ldp, t, t), p, at + ": pattern");   // includes the zeros above the diagonal
        assertClose(c.rows(c.z, 0, c.ldz, t, dh), z, at + ": z");
        assertClose(c.rows(c.dp, 0, c.ldd, t, t), ds, at + ": dS");
        assertClose(c.rows(c.dqkv, c.qo, c.ldq, t, dh), dq, at + ": dq");
        assertClose(c.rows(c.dqkv, c.ko, c.ldq, t, dh), dk, at + ": dk");
        assertClose(c.rows(c.dqkv, c.vo, c.ldq, t, dh), dv, at + ": dv");
        if (!fused) {   // the padding between rows is never written
            for (int i = 0; i < t; i++) {
                for (int x = 3 * dh; x < c.ldq; x++) assertThat(c.dqkv[i * c.ldq + x]).isEqualTo(-7f);
                for (int x = t; x < c.ldp; x++) assertThat(c.p[c.po + i * c.ldp + x]).isEqualTo(-7f);
            }
        }
    }

    private static void assertClose(double[][] actual, double[][] expected, String what) {
        double max = 0;
        for (double[] row : expected) for (double x : row) max = Math.max(max, Math.abs(x));
        for (int i = 0; i < expected.length; i++) {
            for (int j = 0; j < expected[i].length; j++) {
                if (!(Math.abs(actual[i][j] - expected[i][j]) <= 2e-5 * max)) {
                    fail(what + " [" + i + ", " + j + "] is " + actual[i][j] + ", expected " + expected[i][j] + " (max " + max + ")");
                }
            }
        }
    }

    /** Random q, k, v and dz for one head, the buffers the kernels write, and the runs. */
    private static final class Case {
        final int t, dh, ldq, qo, ko, vo, ldp, po, ldz, ldd;
        final float[] qkv, dz, p, z, dp, dqkv;

        Case(int t, int dh, boolean fused, long seed) {
            this.t = t;
            this.dh = dh;
            SplittableRandom r = new SplittableRandom(seed);
            ldq = fused ? 3 * dh : 3 * dh + 5;          // q | k | v side by side, rows padded when not fused
            qo = 0;
            ko = dh;
            vo = 2 * dh;
            ldp = fused ? t : t + 9;                    // a pattern buffer wider than T (a KV-cache capacity)
            po = fused ? 0 : 4;
            ldz = fused ? dh : dh + 3;
            ldd = t;
            qkv = new float[t * ldq];
            for (int i = 0; i < qkv.length; i++) qkv[i] = (float) (r.nextGaussian() * 1.5);
            dz = new float[t * dh];
            for (int i = 0; i < dz.length; i++) dz[i] = (float) r.nextGaussian();
            p = filled(po + t * ldp);
            z = filled(t * ldz);
            dp = filled(t * ldd);
            dqkv = filled(t * ldq);
        }

        void run() {
            float scale = (float) (1 / Math.sqrt(dh));
            AttentionKernels.forward(t, dh, scale, qkv, qo, ldq, qkv, ko, ldq, qkv, vo, ldq, p, po, ldp, z, 0, ldz);
            AttentionKernels.backward(t, dh, scale, qkv, qo, ldq, qkv, ko, ldq, qkv, vo, ldq, p, po, ldp, dz, 0, dh,
                    dp, 0, ldd, dqkv, qo, ldq, dqkv, ko, ldq, dqkv, vo, ldq);
        }

        double[][] rows(float[] a, int o, int ld, int n, int w) {
            double[][] m = new double[n][w];
            for (int i = 0; i < n; i++) for (int j = 0; j < w; j++) m[i][j] = a[o + i * ld + j];
            return m;
        }

        private static float[] filled(int n) {
            float[] a = new float[n];
            java.util.Arrays.fill(a, -7f);   // stale values: everything read must have been written
            return a;
        }
    }
}
