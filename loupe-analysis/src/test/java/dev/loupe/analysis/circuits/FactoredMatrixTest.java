package dev.loupe.analysis.circuits;

import dev.loupe.tensor.Tensor;
import dev.loupe.tensor.linalg.Eigen;
import dev.loupe.tensor.linalg.Svd;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * Every FactoredMatrix operation against the materialised product, computed independently in float64.
 * Tolerances: the factors are float32 and products of float32 are rounded at ~6e-8 relative per
 * operation; over inner sums of ≤ 40 terms a relative 1e-5 of the matrix's scale is generous and
 * still catches any wrong index or transpose (those give O(1) errors).
 */
class FactoredMatrixTest {

    /** A seeded random case: sizes up to 20 × 20, inner dim 1 … 12; every third one rank-deficient. */
    record Case(FactoredMatrix f, DMatrixRMaj dense, long seed) {}

    static List<Case> cases() {
        List<Case> out = new ArrayList<>();
        SplittableRandom r = new SplittableRandom(11);
        for (int c = 0; c < 18; c++) {
            int m = 1 + r.nextInt(20), n = 1 + r.nextInt(20), k = 1 + r.nextInt(12);
            if (c % 6 == 0) n = m;                       // square cases for eigenvalues
            Tensor a = Tensor.randn(r.nextLong(), 1f, m, k), b = Tensor.randn(r.nextLong(), 1f, k, n);
            if (c % 3 == 0 && k > 1) {                   // rank-deficient: A's last column repeats its first
                for (int i = 0; i < m; i++) a.set(a.get(i, 0), i, k - 1);
            }
            out.add(new Case(new FactoredMatrix(a, b), dense(a, b), c));
        }
        return out;
    }

    static DMatrixRMaj dense(Tensor a, Tensor b) {
        DMatrixRMaj out = new DMatrixRMaj(a.dim(0), b.dim(1));
        CommonOps_DDRM.mult(MatrixViews.widen(a), MatrixViews.widen(b), out);
        return out;
    }

    static double scale(DMatrixRMaj m) {
        return Math.max(1e-30, CommonOps_DDRM.elementMaxAbs(m));
    }

    static void assertClose(Tensor actual, DMatrixRMaj expected, double relTol) {
        assertThat(actual.shape()).containsExactly(expected.numRows, expected.numCols);
        double tol = relTol * scale(expected);
        for (int i = 0; i < expected.numRows; i++) {
            for (int j = 0; j < expected.numCols; j++) {
                assertThat((double) actual.get(i, j)).as("(%d, %d)", i, j).isCloseTo(expected.get(i, j), within(tol));
            }
        }
    }

    @Test
    void materializeTransposeAndCornerEqualTheProduct() {
        for (Case c : cases()) {
            assertClose(c.f.materialize(), c.dense, 1e-5);
            assertClose(c.f.transpose().materialize(), CommonOps_DDRM.transpose(c.dense, null), 1e-5);
            int rr = Math.min(3, c.f.rows()), cc = Math.min(4, c.f.columns());
            DMatrixRMaj corner = CommonOps_DDRM.extract(c.dense, 0, rr, 0, cc);
            assertClose(c.f.corner(rr, cc), corner, 1e-5);
            int last = c.f.rows() - 1;
            assertClose(c.f.row(last).reshape(1, c.f.columns()), CommonOps_DDRM.extract(c.dense, last, last + 1, 0, c.dense.numCols), 1e-5);
        }
    }

    @Test
    void productsStayFactoredWithTheSmallerInnerDimension() {
        SplittableRandom r = new SplittableRandom(5);
        for (Case c : cases()) {
            int n = c.f.columns(), p = 1 + r.nextInt(9), r2 = 1 + r.nextInt(12);
            Tensor a2 = Tensor.randn(r.nextLong(), 1f, n, r2), b2 = Tensor.randn(r.nextLong(), 1f, r2, p);
            FactoredMatrix g = new FactoredMatrix(a2, b2);
            FactoredMatrix fg = c.f.times(g);
            assertThat(fg.innerDim()).isEqualTo(Math.min(c.f.innerDim(), r2));
            DMatrixRMaj expected = new DMatrixRMaj(c.f.rows(), p);
            CommonOps_DDRM.mult(c.dense, dense(a2, b2), expected);
            assertClose(fg.materialize(), expected, 1e-5);

            Tensor d = Tensor.randn(r.nextLong(), 1f, n, p);
            DMatrixRMaj fd = new DMatrixRMaj(c.f.rows(), p);
            CommonOps_DDRM.mult(c.dense, MatrixViews.widen(d), fd);
            assertThat(c.f.times(d).innerDim()).isEqualTo(c.f.innerDim());
            assertClose(c.f.times(d).materialize(), fd, 1e-5);
            // a transposed view as the dense operand goes through without a copy and gives the same result
            assertClose(c.f.times(d.transpose(0, 1).contiguous().transpose(0, 1)).materialize(), fd, 1e-5);

            Tensor e = Tensor.randn(r.nextLong(), 1f, p, c.f.rows());
            DMatrixRMaj ef = new DMatrixRMaj(p, c.f.columns());
            CommonOps_DDRM.mult(MatrixViews.widen(e), c.dense, ef);
            assertClose(c.f.premultiply(e).materialize(), ef, 1e-5);
        }
        Case c = cases().get(1);
        assertThatThrownBy(() -> c.f.times(Tensor.zeros(c.f.columns() + 1, 2))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void frobeniusNormFromTheGramMatricesEqualsTheDirectOne() {
        for (Case c : cases()) {
            double direct = Math.sqrt(CommonOps_DDRM.elementSum(CommonOps_DDRM.elementMult(c.dense, c.dense, null)));
            assertThat(c.f.frobeniusNorm()).isCloseTo(direct, within(1e-6 * direct));
            assertThat(c.f.transpose().frobeniusNorm()).isCloseTo(direct, within(1e-6 * direct));
        }
    }

    @Test
    void eigenvaluesOfBaAreTheNonZeroEigenvaluesOfAb() {
        for (Case c : cases()) {
            if (c.f.rows() != c.f.columns()) continue;
            Eigen.Values small = c.f.eigenvalues(), full = Eigen.eigenvalues(c.dense);
            assertThat(small.size()).isEqualTo(c.f.innerDim());
            double tol = 1e-4 * Math.max(1, full.magnitude(0));
            // the r eigenvalues of BA equal AB's r largest in magnitude (the rest of AB's are 0) …
            List<double[]> a = nonZero(small, tol), b = nonZero(full, tol);
            assertThat(a).hasSameSizeAs(b);
            for (int i = 0; i < a.size(); i++) {
                assertThat(a.get(i)[0]).isCloseTo(b.get(i)[0], within(tol));
                assertThat(a.get(i)[1]).isCloseTo(b.get(i)[1], within(tol));
            }
            // … so trace and Σ|λ| agree too
            double trace = 0;
            for (int i = 0; i < c.dense.numRows; i++) trace += c.dense.get(i, i);
            double sum = 0;
            for (double re : small.re()) sum += re;
            assertThat(sum).isCloseTo(trace, within(tol));
        }
        assertThatThrownBy(() -> new FactoredMatrix(Tensor.zeros(3, 2), Tensor.zeros(2, 4)).eigenvalues())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not square");
    }

    /** Eigenvalues with |λ| > tol, sorted by (re, im), as [re, im] pairs. */
    private static List<double[]> nonZero(Eigen.Values v, double tol) {
        List<double[]> out = new ArrayList<>();
        for (int i = 0; i < v.size(); i++) if (v.magnitude(i) > tol) out.add(new double[] {v.re()[i], v.im()[i]});
        out.sort(Comparator.<double[]>comparingDouble(x -> x[0]).thenComparingDouble(x -> x[1]));
        return out;
    }

    @Test
    void svdFromTheFactorsMatchesTheDenseSvdAndReconstructs() {
        for (Case c : cases()) {
            Svd s = c.f.svd();
            double[] expected = Svd.singularValues(c.dense);
            int k = Math.min(c.f.innerDim(), Math.min(c.f.rows(), c.f.columns()));
            assertThat(s.singularValues()).hasSize(k);
            double tol = 1e-5 * Math.max(1, expected[0]);
            for (int i = 0; i < k; i++) assertThat(s.singularValues()[i]).isCloseTo(expected[i], within(tol));
            for (int i = k; i < expected.length; i++) assertThat(expected[i]).isCloseTo(0, within(tol));
            assertThat(CommonOps_DDRM.elementMaxAbs(diff(s.reconstruct(), c.dense))).isLessThan(tol);
            DMatrixRMaj utu = new DMatrixRMaj(k, k);
            CommonOps_DDRM.multTransA(s.u(), s.u(), utu);
            assertThat(CommonOps_DDRM.elementMaxAbs(diff(utu, CommonOps_DDRM.identity(k)))).isLessThan(1e-9);
            DMatrixRMaj vtv = new DMatrixRMaj(k, k);
            CommonOps_DDRM.multTransA(s.v(), s.v(), vtv);
            assertThat(CommonOps_DDRM.elementMaxAbs(diff(vtv, CommonOps_DDRM.identity(k)))).isLessThan(1e-9);
        }
    }

    private static DMatrixRMaj diff(DMatrixRMaj x, DMatrixRMaj y) {
        DMatrixRMaj d = new DMatrixRMaj(x.numRows, x.numCols);
        CommonOps_DDRM.subtract(x, y, d);
        return d;
    }

    @Test
    void rowAndColumnNormsAndTopRows() {
        for (Case c : cases()) {
            double[] rows = c.f.rowNorms(), cols = c.f.columnNorms();
            double tol = 1e-5 * scale(c.dense) * Math.sqrt(Math.max(c.dense.numRows, c.dense.numCols));
            for (int i = 0; i < c.dense.numRows; i++) {
                double s = 0;
                for (int j = 0; j < c.dense.numCols; j++) s += c.dense.get(i, j) * c.dense.get(i, j);
                assertThat(rows[i]).isCloseTo(Math.sqrt(s), within(tol));
            }
            for (int j = 0; j < c.dense.numCols; j++) {
                double s = 0;
                for (int i = 0; i < c.dense.numRows; i++) s += c.dense.get(i, j) * c.dense.get(i, j);
                assertThat(cols[j]).isCloseTo(Math.sqrt(s), within(tol));
            }
            int[] top = c.f.topRows(3);
            assertThat(top).hasSize(Math.min(3, c.f.rows()));
            for (int i = 1; i < top.length; i++) assertThat(rows[top[i - 1]]).isGreaterThanOrEqualTo(rows[top[i]]);
            for (int i = 0; i < rows.length; i++) {
                final int row = i;
                if (java.util.Arrays.stream(top).noneMatch(t -> t == row)) assertThat(rows[i]).isLessThanOrEqualTo(rows[top[top.length - 1]]);
            }
        }
    }

    @Test
    void topEntriesByRowBlocksEqualASortOfTheMaterialisedMatrix() {
        for (Case c : cases()) {
            Tensor full = c.f.materialize();
            List<FactoredMatrix.Entry> all = new ArrayList<>();
            for (int i = 0; i < full.dim(0); i++) for (int j = 0; j < full.dim(1); j++) all.add(new FactoredMatrix.Entry(i, j, full.get(i, j)));
            all.sort(Comparator.comparingDouble(FactoredMatrix.Entry::value).reversed());
            int k = Math.min(7, all.size());
            // a block of one or two rows at a time: many blocks, many parallel chunks merged
            for (int block : new int[] {1, 2 * c.f.columns(), FactoredMatrix.BLOCK_FLOATS}) {
                List<FactoredMatrix.Entry> top = c.f.scan(k, 1f, block), bottom = c.f.scan(k, -1f, block);
                assertThat(top).hasSize(k);
                for (int i = 0; i < k; i++) {
                    assertThat(top.get(i).value()).isCloseTo(all.get(i).value(), within(1e-5 * scale(c.dense)));
                    assertThat(bottom.get(i).value()).isCloseTo(all.get(all.size() - 1 - i).value(), within(1e-5 * scale(c.dense)));
                    FactoredMatrix.Entry e = top.get(i);
                    assertThat((double) full.get(e.row(), e.column())).isCloseTo(e.value(), within(1e-5 * scale(c.dense)));
                }
            }
            // the same entries whatever the blocking; values to float32 rounding, since a BLAS sgemm
            // may pick another kernel (and summation order) for a block of 1 row than for many
            List<FactoredMatrix.Entry> blocked = c.f.largestEntries(k), rowByRow = c.f.scan(k, 1f, 1);
            for (int i = 0; i < k; i++) {
                assertThat(blocked.get(i).row()).isEqualTo(rowByRow.get(i).row());
                assertThat(blocked.get(i).column()).isEqualTo(rowByRow.get(i).column());
                assertThat(blocked.get(i).value()).isCloseTo(rowByRow.get(i).value(), within(1e-6 * scale(c.dense)));
            }
            List<FactoredMatrix.Entry> inRow = c.f.topInRow(0, 3);
            float[] row0 = full.select(0, 0).toArray();
            java.util.Arrays.sort(row0);
            for (int i = 0; i < inRow.size(); i++) {
                assertThat(inRow.get(i).value()).isCloseTo(row0[row0.length - 1 - i], within(1e-5 * scale(c.dense)));
            }
        }
    }

    @Test
    void compressedFormsPreserveEveryProductNorm() {
        SplittableRandom r = new SplittableRandom(3);
        for (Case c : cases()) {
            Tensor x = Tensor.randn(r.nextLong(), 1f, c.f.columns(), 5), y = Tensor.randn(r.nextLong(), 1f, 4, c.f.rows());
            double direct = c.f.times(x).frobeniusNorm();
            Tensor rc = c.f.rowCompressed();
            assertThat(rc.dim(0)).isEqualTo(Math.min(c.f.rows(), c.f.innerDim()));
            assertThat(new FactoredMatrix(rc, x).frobeniusNorm()).isCloseTo(direct, within(1e-5 * Math.max(1, direct)));
            double directLeft = c.f.premultiply(y).frobeniusNorm();
            Tensor cc = c.f.columnCompressed();
            assertThat(cc.dim(1)).isEqualTo(Math.min(c.f.columns(), c.f.innerDim()));
            assertThat(new FactoredMatrix(y, cc).frobeniusNorm()).isCloseTo(directLeft, within(1e-5 * Math.max(1, directLeft)));
        }
    }
}
