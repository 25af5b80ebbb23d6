package dev.loupe.tensor.linalg;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.SingularOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;

/**
 * Thin singular value decomposition {@code A = U·diag(σ)·Vᵀ} of an m×n matrix, k = min(m, n):
 * U is m×k and V is n×k with orthonormal columns, σ has k values in descending order. Used to read
 * the effective rank and the dominant directions of weight products such as W_QK = W_Q·W_Kᵀ and
 * W_OV = W_V·W_O.
 *
 * @param singularValues σ₁ ≥ σ₂ ≥ … ≥ σ_k ≥ 0
 * @param u              m×k left singular vectors (columns)
 * @param v              n×k right singular vectors (columns)
 */
public record Svd(double[] singularValues, DMatrixRMaj u, DMatrixRMaj v) {

    /** The thin SVD of {@code a} (not modified). */
    public static Svd of(DMatrixRMaj a) {
        SingularValueDecomposition_F64<DMatrixRMaj> svd = decompose(a, true);
        DMatrixRMaj u = svd.getU(null, false), w = svd.getW(null), v = svd.getV(null, false);
        SingularOps_DDRM.descendingOrder(u, false, w, v, false);
        double[] s = new double[Math.min(a.numRows, a.numCols)];
        for (int i = 0; i < s.length; i++) s[i] = w.get(i, i);
        return new Svd(s, u, v);
    }

    /** The singular values of {@code a} alone, descending (cheaper: no U, V). */
    public static double[] singularValues(DMatrixRMaj a) {
        double[] s = decompose(a, false).getSingularValues().clone();
        s = java.util.Arrays.copyOf(s, Math.min(a.numRows, a.numCols));
        java.util.Arrays.sort(s);
        for (int i = 0, j = s.length - 1; i < j; i++, j--) { double t = s[i]; s[i] = s[j]; s[j] = t; }
        return s;
    }

    /** U·diag(σ)·Vᵀ: the matrix this decomposition came from (up to rounding). */
    public DMatrixRMaj reconstruct() {
        DMatrixRMaj us = u.copy();
        for (int i = 0; i < us.numRows; i++) for (int j = 0; j < us.numCols; j++) us.set(i, j, us.get(i, j) * singularValues[j]);
        DMatrixRMaj out = new DMatrixRMaj(u.numRows, v.numRows);
        org.ejml.dense.row.CommonOps_DDRM.multTransB(us, v, out);
        return out;
    }

    private static SingularValueDecomposition_F64<DMatrixRMaj> decompose(DMatrixRMaj a, boolean vectors) {
        Dense.requireFinite(a, "SVD");
        SingularValueDecomposition_F64<DMatrixRMaj> svd =
                DecompositionFactory_DDRM.svd(a.numRows, a.numCols, vectors, vectors, true);
        if (!svd.decompose(svd.inputModified() ? a.copy() : a)) {
            throw new DecompositionException("SVD of a " + a.numRows + "×" + a.numCols + " matrix did not converge");
        }
        return svd;
    }
}
