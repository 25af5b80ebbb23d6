package dev.loupe.tensor.linalg;

import org.ejml.data.Complex_F64;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/**
 * Eigenvalues of square float64 matrices. A real non-symmetric matrix (such as a head's OV circuit
 * W_OV, whose positive eigenvalues signal copying) has complex eigenvalues in conjugate pairs:
 * {@link #eigenvalues} returns their real and imaginary parts. A symmetric matrix has real ones and an
 * orthonormal basis of eigenvectors: {@link #symmetric}.
 */
public final class Eigen {
    private Eigen() {}

    /**
     * Eigenvalues λ = re + i·im of a real n×n matrix, ordered by descending |λ|, then descending real
     * part, then descending imaginary part (so a conjugate pair lists +i·im first).
     */
    public record Values(double[] re, double[] im) {
        /** Number of eigenvalues (n). */
        public int size() { return re.length; }

        /** |λ_i|. */
        public double magnitude(int i) { return Math.hypot(re[i], im[i]); }
    }

    /**
     * A symmetric matrix's eigen-decomposition {@code A = Q·diag(λ)·Qᵀ}.
     *
     * @param values  real eigenvalues, descending
     * @param vectors n×n matrix whose column i is the unit eigenvector of {@code values[i]}
     */
    public record Symmetric(double[] values, DMatrixRMaj vectors) {}

    /** All eigenvalues of the real square matrix {@code a} (not modified). */
    public static Values eigenvalues(DMatrixRMaj a) {
        EigenDecomposition_F64<DMatrixRMaj> eig = decompose(a, false, false);
        int n = eig.getNumberOfEigenvalues();
        Complex_F64[] l = new Complex_F64[n];
        for (int i = 0; i < n; i++) l[i] = eig.getEigenvalue(i);
        Arrays.sort(l, Comparator.comparingDouble(Complex_F64::getMagnitude).reversed()
                .thenComparing(Comparator.comparingDouble(Complex_F64::getReal).reversed())
                .thenComparing(Comparator.comparingDouble(Complex_F64::getImaginary).reversed()));
        double[] re = new double[n], im = new double[n];
        for (int i = 0; i < n; i++) { re[i] = l[i].real; im[i] = l[i].imaginary; }
        return new Values(re, im);
    }

    /**
     * Eigen-decomposition of a symmetric matrix (only symmetry up to 10⁻⁹ relative is accepted: a
     * non-symmetric input would silently give wrong vectors).
     */
    public static Symmetric symmetric(DMatrixRMaj a) {
        Dense.requireSquare(a, "symmetric eigen-decomposition");
        double scale = Math.max(1e-300, org.ejml.dense.row.NormOps_DDRM.normF(a));
        for (int i = 0; i < a.numRows; i++) {
            for (int j = i + 1; j < a.numCols; j++) {
                if (Math.abs(a.get(i, j) - a.get(j, i)) > 1e-9 * scale) {
                    throw new IllegalArgumentException("symmetric eigen-decomposition: the matrix is not symmetric at (" + i + ", " + j
                            + "): " + a.get(i, j) + " vs " + a.get(j, i));
                }
            }
        }
        EigenDecomposition_F64<DMatrixRMaj> eig = decompose(a, true, true);
        int n = eig.getNumberOfEigenvalues();
        Integer[] order = IntStream.range(0, n).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.comparingDouble((Integer i) -> eig.getEigenvalue(i).real).reversed());
        double[] values = new double[n];
        DMatrixRMaj vectors = new DMatrixRMaj(a.numRows, n);
        for (int k = 0; k < n; k++) {
            values[k] = eig.getEigenvalue(order[k]).real;
            DMatrixRMaj v = eig.getEigenVector(order[k]);
            if (v == null) throw new DecompositionException("symmetric eigen-decomposition: no eigenvector for eigenvalue " + values[k]);
            for (int i = 0; i < a.numRows; i++) vectors.set(i, k, v.get(i, 0));
        }
        return new Symmetric(values, vectors);
    }

    private static EigenDecomposition_F64<DMatrixRMaj> decompose(DMatrixRMaj a, boolean vectors, boolean symmetric) {
        Dense.requireSquare(a, "eigen-decomposition");
        Dense.requireFinite(a, "eigen-decomposition");
        EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(a.numRows, vectors, symmetric);
        if (!eig.decompose(eig.inputModified() ? a.copy() : a)) {
            throw new DecompositionException("eigen-decomposition of a " + a.numRows + "×" + a.numCols + " matrix did not converge");
        }
        return eig;
    }
}
