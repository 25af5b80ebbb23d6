package dev.loupe.tensor.matmul;

import dev.loupe.LoupeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Every fast backend against {@link ReferenceMatmul} (which sums in double), on awkward sizes,
 * all transposes, strided views with offsets, and alpha/beta.
 *
 * <p>Tolerance: a float32 dot product of length k, summed in any order with FMAs, has a rounding
 * error whose worst-case bound is k·eps·Σ|a_p·b_p| and whose typical size (errors of random sign,
 * a random walk) is about sqrt(k)·eps·Σ|a_p·b_p|. We allow 4·sqrt(k)·eps·|alpha|·Σ|a_p·b_p| plus
 * 2·eps·|beta·c| for the final combination: tight enough that a wrong index or a dropped term
 * (an error of order |a_p·b_p|, far above eps·Σ) fails, loose enough for any summation order.
 */
class MatmulBackendTest {
    private static final float EPS = Math.ulp(1f);

    static Stream<MatmulBackend> backends() {
        return Backends.available().stream();
    }

    /** A matrix stored at an offset inside a larger array, with a leading dimension wider than its rows. */
    record Stored(float[] data, int off, int ld, int rows, int cols) {
        static Stored random(SplittableRandom r, int rows, int cols, int pad, int off) {
            int ld = cols + pad;
            float[] d = new float[off + rows * ld + 3];
            for (int i = 0; i < d.length; i++) d[i] = (float) (r.nextDouble() * 2 - 1);
            return new Stored(d, off, Math.max(1, ld), rows, cols);
        }

        Stored copy() {
            return new Stored(data.clone(), off, ld, rows, cols);
        }

        Stored abs() {
            float[] d = data.clone();
            for (int i = 0; i < d.length; i++) d[i] = Math.abs(d[i]);
            return new Stored(d, off, ld, rows, cols);
        }
    }

    record Case(int m, int n, int k, boolean transA, boolean transB, int pad, int off, float alpha, float beta) {
        @Override
        public String toString() {
            return m + "x" + k + "x" + n + (transA ? " Aᵀ" : "") + (transB ? " Bᵀ" : "")
                    + (pad > 0 ? " ld+" + pad : "") + (off > 0 ? " off" + off : "") + " α=" + alpha + " β=" + beta;
        }
    }

    static List<Case> cases() {
        List<Case> list = new ArrayList<>();
        int[] dims = {1, 7, 33, 1000};
        int i = 0;
        for (int m : dims) for (int n : dims) for (int k : dims) {
            long work = (long) m * n * k;
            if (work > 8_000_000L) continue;
            // Small shapes in all four transpose combinations; large ones (slow for the reference)
            // in one each, rotating, so every combination still meets every size class.
            for (int t = 0; t < 4; t++) {
                if (work > 300_000L && t != i % 4) continue;
                // Cycle through layouts so every shape sees some padding/offset and some plain storage.
                int pad = (i % 3 == 0) ? 0 : 5;
                int off = (i % 2 == 0) ? 0 : 11;
                list.add(new Case(m, n, k, (t & 1) != 0, (t & 2) != 0, pad, off, 1f, 0f));
            }
            i++;
        }
        // Several k blocks, several column blocks, the column split for small m, the inline path for tiny work.
        list.add(new Case(13, 40, 2500, false, false, 0, 0, 1f, 0f));
        list.add(new Case(9, 3200, 20, true, false, 3, 7, 1f, 0f));
        list.add(new Case(5, 700, 64, false, true, 0, 0, 1f, 0f));
        list.add(new Case(64, 64, 64, true, true, 0, 0, 1f, 0f));
        list.add(new Case(130, 200, 300, false, false, 2, 1, 1f, 0f));
        // alpha and beta
        for (int t = 0; t < 4; t++) {
            list.add(new Case(37, 45, 29, (t & 1) != 0, (t & 2) != 0, 3, 2, 0.5f, -1.5f));
            list.add(new Case(1, 45, 29, (t & 1) != 0, (t & 2) != 0, 3, 2, -2f, 1f));
            list.add(new Case(45, 1, 29, (t & 1) != 0, (t & 2) != 0, 3, 2, 1.25f, 0.75f));
        }
        list.add(new Case(20, 30, 0, false, false, 0, 0, 1f, 0.5f));
        list.add(new Case(20, 30, 10, false, false, 0, 0, 0f, 2f));
        return list;
    }

    static Stream<Object[]> backendCases() {
        return backends().flatMap(b -> cases().stream().map(c -> new Object[] {b.name(), c}));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("backendCases")
    void agreesWithReference(String backend, Case c) {
        check(Backends.byName(backend), c, new SplittableRandom(c.hashCode()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void betaZeroOverwritesNaN(MatmulBackend backend) {
        for (int[] s : new int[][] {{50, 70, 40}, {1, 70, 40}, {50, 1, 40}, {3, 5, 0}}) {
            int m = s[0], n = s[1], k = s[2];
            SplittableRandom r = new SplittableRandom(7);
            Stored a = Stored.random(r, m, k, 0, 0), b = Stored.random(r, k, n, 0, 0);
            float[] c = new float[m * n];
            java.util.Arrays.fill(c, Float.NaN);
            float[] want = new float[m * n];
            new ReferenceMatmul().sgemm(false, false, m, n, k, 1f, a.data, 0, a.ld, b.data, 0, b.ld, 0f, want, 0, n);
            backend.sgemm(false, false, m, n, k, 1f, a.data, 0, a.ld, b.data, 0, b.ld, 0f, c, 0, n);
            for (int i = 0; i < c.length; i++) {
                assertThat(c[i]).as("%s %dx%dx%d C[%d]", backend.name(), m, k, n, i).isNotNaN()
                        .isCloseTo(want[i], org.assertj.core.data.Offset.offset(1e-4f * (1 + Math.abs(want[i]))));
            }
        }
    }

    @Test
    void javaIsDeterministic() {
        SplittableRandom r = new SplittableRandom(3);
        int m = 300, n = 500, k = 1100;
        Stored a = Stored.random(r, m, k, 0, 0), b = Stored.random(r, k, n, 0, 0);
        float[] c1 = new float[m * n], c2 = new float[m * n];
        JavaMatmul j = new JavaMatmul();
        j.sgemm(false, false, m, n, k, 1f, a.data, 0, a.ld, b.data, 0, b.ld, 0f, c1, 0, n);
        j.sgemm(false, false, m, n, k, 1f, a.data, 0, a.ld, b.data, 0, b.ld, 0f, c2, 0, n);
        assertThat(c2).isEqualTo(c1);
    }

    @Test
    void fastBackendsAgreeOnGpt2Shapes() {
        BlasMatmul blas = BlasMatmul.load().orElse(null);
        assumeTrue(blas != null, "no CBLAS library on this machine (searched " + BlasMatmul.searched()
                + "): java-vs-blas comparison skipped; install libopenblas0-pthread to run it");
        JavaMatmul java = new JavaMatmul();
        SplittableRandom r = new SplittableRandom(11);
        for (int[] s : new int[][] {{128, 768, 2304}, {64, 3072, 768}, {1, 768, 3072}, {1, 3072, 768}}) {
            int m = s[0], k = s[1], n = s[2];
            for (int t = 0; t < 4; t++) {
                boolean ta = (t & 1) != 0, tb = (t & 2) != 0;
                Stored a = ta ? Stored.random(r, k, m, 0, 0) : Stored.random(r, m, k, 0, 0);
                Stored b = tb ? Stored.random(r, n, k, 0, 0) : Stored.random(r, k, n, 0, 0);
                float[] cj = new float[m * n], cb = new float[m * n], bound = new float[m * n];
                java.sgemm(ta, tb, m, n, k, 1f, a.data, 0, a.ld, b.data, 0, b.ld, 0f, cj, 0, n);
                blas.sgemm(ta, tb, m, n, k, 1f, a.data, 0, a.ld, b.data, 0, b.ld, 0f, cb, 0, n);
                Stored aa = a.abs(), ba = b.abs();
                blas.sgemm(ta, tb, m, n, k, 1f, aa.data, 0, aa.ld, ba.data, 0, ba.ld, 0f, bound, 0, n);
                for (int i = 0; i < cj.length; i++) {
                    // Both sides carry rounding error: twice the single-sided allowance.
                    double tol = 8 * Math.sqrt(k) * EPS * bound[i] + 1e-30;
                    if (Math.abs(cj[i] - cb[i]) > tol) {
                        throw new AssertionError(String.format("%dx%dx%d ta=%b tb=%b C[%d]: java %g, blas %g, tol %g",
                                m, k, n, ta, tb, i, cj[i], cb[i], tol));
                    }
                }
            }
        }
    }

    @Test
    void unknownOrMissingBackendIsAClearError() {
        assertThatThrownBy(() -> Backends.byName("cuda")).isInstanceOf(LoupeException.class)
                .hasMessageContaining("cuda").hasMessageContaining("java, blas");
        if (BlasMatmul.load().isEmpty()) {
            assertThatThrownBy(() -> Backends.byName("blas")).isInstanceOf(LoupeException.class)
                    .hasMessageContaining("libopenblas");
        }
        assertThat(Backends.available()).extracting(MatmulBackend::name).contains("java");
        assertThat(Backends.describe(Backends.byName("java"))).startsWith("java (Vector API").contains("thread");
    }

    private static void check(MatmulBackend backend, Case c, SplittableRandom r) {
        int m = c.m, n = c.n, k = c.k;
        Stored a = c.transA ? Stored.random(r, k, m, c.pad, c.off) : Stored.random(r, m, k, c.pad, c.off);
        Stored b = c.transB ? Stored.random(r, n, k, c.pad, c.off + 1) : Stored.random(r, k, n, c.pad, c.off + 1);
        Stored cIn = Stored.random(r, m, n, c.pad, c.off + 2);
        Stored got = cIn.copy(), want = cIn.copy();
        float[] bound = new float[m * n];
        new ReferenceMatmul().sgemm(c.transA, c.transB, m, n, k, c.alpha, a.data, a.off, a.ld, b.data, b.off, b.ld,
                c.beta, want.data, want.off, want.ld);
        Stored aa = a.abs(), ba = b.abs();
        new ReferenceMatmul().sgemm(c.transA, c.transB, m, n, k, Math.abs(c.alpha), aa.data, aa.off, aa.ld,
                ba.data, ba.off, ba.ld, 0f, bound, 0, n);
        backend.sgemm(c.transA, c.transB, m, n, k, c.alpha, a.data, a.off, a.ld, b.data, b.off, b.ld,
                c.beta, got.data, got.off, got.ld);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                int idx = got.off + i * got.ld + j;
                double tol = 4 * Math.sqrt(Math.max(1, k)) * EPS * bound[i * n + j]
                        + 2 * EPS * Math.abs(c.beta * cIn.data[idx]) + 1e-30;
                if (Math.abs(got.data[idx] - want.data[idx]) > tol) {
                    throw new AssertionError(String.format("%s %s: C[%d,%d] = %g, reference %g (tolerance %g)",
                            backend.name(), c, i, j, got.data[idx], want.data[idx], tol));
                }
            }
        }
        // Nothing outside the m × n window may change: padding between rows, before and after.
        for (int idx = 0; idx < got.data.length; idx++) {
            int rel = idx - got.off;
            boolean inside = rel >= 0 && rel / got.ld < m && rel % got.ld < n;
            if (!inside && got.data[idx] != cIn.data[idx]) {
                throw new AssertionError(backend.name() + " " + c + ": wrote outside C at array index " + idx);
            }
        }
    }
}
