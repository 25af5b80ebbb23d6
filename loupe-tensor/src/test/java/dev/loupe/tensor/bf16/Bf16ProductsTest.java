package dev.loupe.tensor.bf16;

import dev.loupe.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The bfloat16-weight products against a float64 reference over the same (widened) weights, for one
 * row (the decoding kernels) and several rows (widened panels through the matmul backend), on sizes
 * that leave vector tails and split into several pieces, with and without row quads (a width that
 * is a multiple of 16) and with rows past the last quad.
 *
 * <p>Tolerance: the weights are exactly the bfloat16 values on both sides, so the only error is
 * float32 accumulation: 4·sqrt(k)·eps·Σ|x_p·w_p| (the argument of MatmulBackendTest), far below the
 * error of a wrong index or a dropped term (of order |x_p·w_p|), and below bfloat16's own rounding
 * (up to 2^-8 relative), so a kernel that rounded an activation would fail too.
 */
class Bf16ProductsTest {
    private static final double EPS = Math.ulp(1f);

    @ParameterizedTest
    @CsvSource({"1,1,1", "1,5,7", "1,130,33", "1,300,517", "1,768,3072", "1,1000,40", "1,130,48", "1,131,64", "3,5,7", "4,130,33", "3,130,48", "17,300,517"})
    void xTimesWEqualsFloat64(int m, int k, int n) {
        Tensor x = Tensor.randn(1, 1f, m, k);
        Bf16Matrix w = Bf16Matrix.of(Tensor.randn(2, 0.5f, k, n));
        Tensor y = Tensor.zeros(m, n).fill(Float.NaN);     // overwritten, never read
        Bf16Products.xW(x, w, y);
        assertEqualsFloat64(x, y, (p, j) -> w.get(p, j));
    }

    /** Weight (p, j) of the product: W[p, j] for x·W, W[j, p] for x·Wᵀ. */
    interface Weight {
        float at(int p, int j);
    }

    /** y [m, n] against Σ_p x[i, p]·w(p, j) summed in float64, within the float32 accumulation bound. */
    private static void assertEqualsFloat64(Tensor x, Tensor y, Weight w) {
        int m = x.dim(0), k = x.dim(1), n = y.dim(1);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double ref = 0, abs = 0;
                for (int p = 0; p < k; p++) {
                    double t = (double) x.get(i, p) * w.at(p, j);
                    ref += t;
                    abs += Math.abs(t);
                }
                assertThat((double) y.get(i, j)).as("[%d, %d]", i, j).isCloseTo(ref, org.assertj.core.data.Offset.offset(4 * Math.sqrt(k) * EPS * abs + 1e-30));
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"1,1,1", "1,7,5", "1,33,130", "1,768,1000", "1,64,257", "1,48,130", "2,7,5", "4,48,130", "5,33,130", "9,768,1000"})
    void xTimesWTransposedEqualsFloat64(int m, int k, int n) {
        Tensor x = Tensor.randn(3, 1f, m, k);
        Bf16Matrix w = Bf16Matrix.of(Tensor.randn(4, 0.5f, n, k));   // [n, k], as the unembedding
        Tensor y = Tensor.zeros(m, n).fill(Float.NaN);
        Bf16Products.xWt(x, w, y);
        assertEqualsFloat64(x, y, (p, j) -> w.get(j, p));
    }

    @ParameterizedTest
    @CsvSource({"768,3072", "3072,768"})
    void oneRowIsTheSameRunToRun(int k, int n) {
        Tensor x = Tensor.randn(5, 1f, 1, k);
        Bf16Matrix w = Bf16Matrix.of(Tensor.randn(6, 0.02f, k, n));
        Tensor a = Tensor.zeros(1, n), b = Tensor.zeros(1, n);
        Bf16Products.xW(x, w, a);
        for (int i = 0; i < 50; i++) Bf16Products.xW(x, w, b);    // later calls may run JIT-compiled code
        assertThat(b.toArray()).containsExactly(a.toArray());
    }

    @org.junit.jupiter.api.Test
    void roundingAndWideningRoundTrip() {
        Tensor t = Tensor.randn(7, 1f, 3, 5);
        Bf16Matrix w = Bf16Matrix.of(t);
        Tensor back = w.toTensor();
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 5; j++) {
                assertThat(back.get(i, j)).isEqualTo(BFloat16.round(t.get(i, j)));
                assertThat(w.get(i, j)).isEqualTo(back.get(i, j));
            }
        }
        assertThat(w.bytes()).isEqualTo(30);
        assertThat(Bf16Matrix.of(back).toRowMajor()).containsExactly(w.toRowMajor());   // bf16 values are fixed points
    }
}
