package dev.loupe.tensor.linalg;

import dev.loupe.tensor.Tensor;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** Decompositions against closed forms; float64 throughout, so 1e-10-level agreement is expected. */
class LinalgTest {
    private static final double EPS = 1e-10;

    private static DMatrixRMaj random(long seed, int m, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        DMatrixRMaj a = new DMatrixRMaj(m, n);
        for (int i = 0; i < a.data.length; i++) a.data[i] = Tensor.gaussian(r);
        return a;
    }

    private static DMatrixRMaj mult(DMatrixRMaj a, DMatrixRMaj b) {
        DMatrixRMaj c = new DMatrixRMaj(a.numRows, b.numCols);
        CommonOps_DDRM.mult(a, b, c);
        return c;
    }

    private static double maxDiff(DMatrixRMaj a, DMatrixRMaj b) {
        assertThat(a.numRows).isEqualTo(b.numRows);
        assertThat(a.numCols).isEqualTo(b.numCols);
        double m = 0;
        for (int i = 0; i < a.data.length; i++) m = Math.max(m, Math.abs(a.data[i] - b.data[i]));
        return m;
    }

    @Test
    void conversionRoundTrips() {
        Tensor t = Tensor.randn(1, 1f, 3, 5);
        DMatrixRMaj m = Dense.of(t.transpose(0, 1));
        assertThat(m.numRows).isEqualTo(5);
        assertThat(m.get(4, 2)).isEqualTo(t.get(2, 4));
        assertThat(Dense.toTensor(m).maxAbsDiff(t.transpose(0, 1))).isZero();
        assertThatThrownBy(() -> Dense.of(Tensor.zeros(2, 2, 2))).hasMessageContaining("expected a matrix");
    }

    @Test
    void rotationEigenvaluesAreUnitComplexPair() {
        double theta = 0.7;
        DMatrixRMaj r = Dense.ofRows(new double[] {Math.cos(theta), -Math.sin(theta)}, new double[] {Math.sin(theta), Math.cos(theta)});
        Eigen.Values ev = Eigen.eigenvalues(r);
        assertThat(ev.size()).isEqualTo(2);
        assertThat(ev.re()[0]).isCloseTo(Math.cos(theta), within(EPS));
        assertThat(ev.im()[0]).isCloseTo(Math.sin(theta), within(EPS));
        assertThat(ev.re()[1]).isCloseTo(Math.cos(theta), within(EPS));
        assertThat(ev.im()[1]).isCloseTo(-Math.sin(theta), within(EPS));
        assertThat(ev.magnitude(0)).isCloseTo(1, within(EPS));
    }

    @Test
    void diagonalAndTriangularEigenvaluesAreTheDiagonal() {
        DMatrixRMaj d = Dense.ofRows(new double[] {3, 0, 0}, new double[] {0, -5, 0}, new double[] {0, 0, 1});
        Eigen.Values ev = Eigen.eigenvalues(d);
        assertThat(ev.re()).containsExactly(new double[] {-5, 3, 1}, within(EPS));
        assertThat(ev.im()).containsExactly(new double[] {0, 0, 0}, within(EPS));
        DMatrixRMaj tri = Dense.ofRows(new double[] {2, 7, -1}, new double[] {0, 4, 9}, new double[] {0, 0, -3});
        assertThat(Eigen.eigenvalues(tri).re()).containsExactly(new double[] {4, -3, 2}, within(1e-9));
    }

    @Test
    void eigenvaluesOfABAreThoseOfBAPlusZeros() {
        DMatrixRMaj a = random(2, 5, 3), b = random(3, 3, 5);
        Eigen.Values ab = Eigen.eigenvalues(mult(a, b)); // 5×5, rank ≤ 3
        Eigen.Values ba = Eigen.eigenvalues(mult(b, a)); // 3×3
        for (int i = 0; i < 3; i++) {
            assertThat(ab.re()[i]).isCloseTo(ba.re()[i], within(1e-8));
            assertThat(Math.abs(ab.im()[i])).isCloseTo(Math.abs(ba.im()[i]), within(1e-8));
        }
        assertThat(ab.magnitude(3)).isLessThan(1e-8);
        assertThat(ab.magnitude(4)).isLessThan(1e-8);
        // The sum of eigenvalues is the trace.
        assertThat(Arrays.stream(ba.re()).sum()).isCloseTo(CommonOps_DDRM.trace(mult(b, a)), within(1e-9));
    }

    @Test
    void symmetricEigenDecompositionReconstructs() {
        DMatrixRMaj x = random(4, 6, 6);
        DMatrixRMaj s = new DMatrixRMaj(6, 6);
        CommonOps_DDRM.multTransB(x, x, s); // X·Xᵀ: symmetric positive semi-definite
        Eigen.Symmetric e = Eigen.symmetric(s);
        for (int i = 1; i < 6; i++) assertThat(e.values()[i]).isLessThanOrEqualTo(e.values()[i - 1]);
        assertThat(e.values()[5]).isGreaterThan(-1e-10);
        DMatrixRMaj q = e.vectors();
        DMatrixRMaj qtq = new DMatrixRMaj(6, 6);
        CommonOps_DDRM.multTransA(q, q, qtq);
        assertThat(maxDiff(qtq, CommonOps_DDRM.identity(6))).isLessThan(1e-10);
        DMatrixRMaj ql = q.copy();
        for (int i = 0; i < 6; i++) for (int j = 0; j < 6; j++) ql.set(i, j, q.get(i, j) * e.values()[j]);
        DMatrixRMaj back = new DMatrixRMaj(6, 6);
        CommonOps_DDRM.multTransB(ql, q, back);
        assertThat(maxDiff(back, s)).isLessThan(1e-9);
        assertThatThrownBy(() -> Eigen.symmetric(random(5, 3, 3))).hasMessageContaining("not symmetric");
    }

    @Test
    void knownSvd() {
        // A = U diag(3, 2) Vᵀ with U the 45° rotation embedded in 3 rows, V the identity swapped.
        double c = Math.sqrt(0.5);
        DMatrixRMaj u = Dense.ofRows(new double[] {c, -c}, new double[] {c, c}, new double[] {0, 0});
        DMatrixRMaj v = Dense.ofRows(new double[] {0, 1}, new double[] {1, 0});
        DMatrixRMaj us = Dense.ofRows(new double[] {3 * c, -2 * c}, new double[] {3 * c, 2 * c}, new double[] {0, 0});
        DMatrixRMaj a = new DMatrixRMaj(3, 2);
        CommonOps_DDRM.multTransB(us, v, a);
        Svd svd = Svd.of(a);
        assertThat(svd.singularValues()).containsExactly(new double[] {3, 2}, within(EPS));
        assertThat(svd.u().numRows).isEqualTo(3);
        assertThat(svd.u().numCols).isEqualTo(2);
        assertThat(svd.v().numRows).isEqualTo(2);
        // Singular vectors are unique up to sign: compare |u_i · û_i| = 1.
        for (int k = 0; k < 2; k++) {
            double du = 0, dv = 0;
            for (int i = 0; i < 3; i++) du += u.get(i, k) * svd.u().get(i, k);
            for (int i = 0; i < 2; i++) dv += v.get(i, k) * svd.v().get(i, k);
            assertThat(Math.abs(du)).isCloseTo(1, within(EPS));
            assertThat(du * dv).isCloseTo(1, within(EPS)); // signs flip together
        }
        assertThat(maxDiff(svd.reconstruct(), a)).isLessThan(EPS);
        assertThat(Svd.singularValues(a)).containsExactly(new double[] {3, 2}, within(EPS));
    }

    @Test
    void randomSvdReconstructsAndIsSortedForWideAndTallMatrices() {
        for (int[] mn : new int[][] {{7, 4}, {4, 7}, {5, 5}}) {
            DMatrixRMaj a = random(6 + mn[0], mn[0], mn[1]);
            Svd svd = Linalg.svd(Dense.toTensor(a));
            int k = Math.min(mn[0], mn[1]);
            assertThat(svd.singularValues()).hasSize(k);
            for (int i = 1; i < k; i++) assertThat(svd.singularValues()[i]).isLessThanOrEqualTo(svd.singularValues()[i - 1]);
            DMatrixRMaj af = Dense.of(Dense.toTensor(a));
            assertThat(maxDiff(svd.reconstruct(), af)).isLessThan(1e-9);
            // Frobenius norm² = Σ σ².
            double s2 = Arrays.stream(svd.singularValues()).map(x -> x * x).sum();
            assertThat(Linalg.frobeniusNorm(af)).isCloseTo(Math.sqrt(s2), within(1e-9));
        }
    }

    @Test
    void rankOfProductsAndOuterProducts() {
        assertThat(Linalg.rank(mult(random(7, 6, 2), random(8, 2, 5)))).isEqualTo(2);
        assertThat(Linalg.rank(random(9, 4, 6))).isEqualTo(4);
        assertThat(Linalg.rank(new DMatrixRMaj(3, 3))).isZero();
        assertThat(Linalg.rank(Tensor.of(new float[] {1, 2, 2, 4}, 2, 2))).isEqualTo(1);
    }

    @Test
    void solveAndLeastSquares() {
        DMatrixRMaj a = random(10, 5, 5), x = random(11, 5, 2);
        DMatrixRMaj b = mult(a, x);
        assertThat(maxDiff(Linalg.solve(a, b), x)).isLessThan(1e-9);

        // Overdetermined, consistent: recovers x exactly; inconsistent: residual orthogonal to A's columns.
        DMatrixRMaj tall = random(12, 9, 3), xt = random(13, 3, 1);
        assertThat(maxDiff(Linalg.leastSquares(tall, mult(tall, xt)), xt)).isLessThan(1e-9);
        DMatrixRMaj y = random(14, 9, 1);
        DMatrixRMaj fit = Linalg.leastSquares(tall, y);
        DMatrixRMaj residual = new DMatrixRMaj(9, 1);
        CommonOps_DDRM.subtract(y, mult(tall, fit), residual);
        DMatrixRMaj normal = new DMatrixRMaj(3, 1);
        CommonOps_DDRM.multTransA(tall, residual, normal);
        assertThat(CommonOps_DDRM.elementMaxAbs(normal)).isLessThan(1e-9);
    }

    @Test
    void failuresAreClear() {
        DMatrixRMaj singular = Dense.ofRows(new double[] {1, 2}, new double[] {2, 4});
        assertThatThrownBy(() -> Linalg.solve(singular, Dense.ofRows(new double[] {1}, new double[] {1})))
                .isInstanceOf(DecompositionException.class).hasMessageContaining("singular");
        DMatrixRMaj nan = Dense.ofRows(new double[] {1, Double.NaN}, new double[] {0, 1});
        assertThatThrownBy(() -> Svd.of(nan)).isInstanceOf(DecompositionException.class).hasMessageContaining("NaN at (0, 1)");
        assertThatThrownBy(() -> Eigen.eigenvalues(nan)).isInstanceOf(DecompositionException.class);
        assertThatThrownBy(() -> Eigen.eigenvalues(new DMatrixRMaj(2, 3))).hasMessageContaining("square");
        assertThatThrownBy(() -> Linalg.solve(random(1, 3, 3), new DMatrixRMaj(2, 1))).hasMessageContaining("B has 2 rows");
    }
}
