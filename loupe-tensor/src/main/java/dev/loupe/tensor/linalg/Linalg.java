package dev.loupe.tensor.linalg;

import dev.loupe.tensor.Tensor;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.NormOps_DDRM;
import org.ejml.dense.row.factory.LinearSolverFactory_DDRM;
import org.ejml.interfaces.linsol.LinearSolverDense;

/**
 * Small dense linear algebra in float64 on EJML: solves, least squares, rank and norms, plus
 * {@link Tensor} entry points to {@link Svd} and {@link Eigen}. Decompositions that cannot be carried
 * out throw {@link DecompositionException} with the reason.
 */
public final class Linalg {
    private Linalg() {}

    /** Relative condition below which {@link #solve} calls a matrix singular. */
    static final double SINGULAR_QUALITY = 1e-12;

    /** X with {@code A·X = B}: A n×n and invertible, B n×k (LU with partial pivoting). */
    public static DMatrixRMaj solve(DMatrixRMaj a, DMatrixRMaj b) {
        Dense.requireSquare(a, "solve");
        requireRows(a, b, "solve");
        Dense.requireFinite(a, "solve");
        Dense.requireFinite(b, "solve");
        LinearSolverDense<DMatrixRMaj> lu = LinearSolverFactory_DDRM.linear(a.numRows);
        if (!lu.setA(lu.modifiesA() ? a.copy() : a) || lu.quality() < SINGULAR_QUALITY) {
            throw new DecompositionException("solve: the " + a.numRows + "×" + a.numCols + " matrix is singular (quality "
                    + lu.quality() + ")");
        }
        DMatrixRMaj x = new DMatrixRMaj(a.numCols, b.numCols);
        lu.solve(lu.modifiesB() ? b.copy() : b, x);
        return x;
    }

    /**
     * X minimising {@code ‖A·X − B‖_F}: A m×n (any shape, any rank), B m×k. Uses QR with column
     * pivoting: for A of full column rank this is the unique least-squares solution; for a rank-deficient
     * A it is a basic solution (zeros on the dependent columns), not the minimum-norm one.
     */
    public static DMatrixRMaj leastSquares(DMatrixRMaj a, DMatrixRMaj b) {
        requireRows(a, b, "leastSquares");
        Dense.requireFinite(a, "leastSquares");
        Dense.requireFinite(b, "leastSquares");
        LinearSolverDense<DMatrixRMaj> qr = LinearSolverFactory_DDRM.leastSquaresQrPivot(true, false);
        if (!qr.setA(qr.modifiesA() ? a.copy() : a)) {
            throw new DecompositionException("leastSquares: the QR decomposition of the " + a.numRows + "×" + a.numCols + " matrix failed");
        }
        DMatrixRMaj x = new DMatrixRMaj(a.numCols, b.numCols);
        qr.solve(qr.modifiesB() ? b.copy() : b, x);
        return x;
    }

    /**
     * Numerical rank: the number of singular values above {@code max(m, n)·σ₁·2⁻⁵²} (numpy's
     * {@code matrix_rank} default).
     */
    public static int rank(DMatrixRMaj a) {
        double[] s = Svd.singularValues(a);
        if (s.length == 0) return 0;
        return rank(a, Math.max(a.numRows, a.numCols) * s[0] * Math.ulp(1.0));
    }

    /** The number of singular values above {@code tolerance}. */
    public static int rank(DMatrixRMaj a, double tolerance) {
        int r = 0;
        for (double v : Svd.singularValues(a)) if (v > tolerance) r++;
        return r;
    }

    /** Frobenius norm {@code ‖A‖_F = √(Σ A_ij²)}. */
    public static double frobeniusNorm(DMatrixRMaj a) {
        return NormOps_DDRM.normF(a);
    }

    /** Thin SVD of a [m, n] tensor, in float64. */
    public static Svd svd(Tensor a) {
        return Svd.of(Dense.of(a));
    }

    /** Eigenvalues of a square [n, n] tensor, in float64. */
    public static Eigen.Values eigenvalues(Tensor a) {
        return Eigen.eigenvalues(Dense.of(a));
    }

    /** Eigen-decomposition of a symmetric [n, n] tensor, in float64. */
    public static Eigen.Symmetric symmetricEigen(Tensor a) {
        return Eigen.symmetric(Dense.of(a));
    }

    /** Numerical rank of a [m, n] tensor (see {@link #rank(DMatrixRMaj)}). */
    public static int rank(Tensor a) {
        return rank(Dense.of(a));
    }

    private static void requireRows(DMatrixRMaj a, DMatrixRMaj b, String op) {
        if (a.numRows != b.numRows) {
            throw new IllegalArgumentException(op + ": A is " + a.numRows + "×" + a.numCols + " but B has " + b.numRows + " rows");
        }
    }
}
