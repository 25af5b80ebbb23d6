package dev.loupe.analysis.circuits;

import dev.loupe.tensor.Tensor;
import dev.loupe.tensor.matmul.Matmul;
import org.ejml.data.DMatrixRMaj;

import java.util.Arrays;

/**
 * Products of 2-D tensor views without copying them: a row-dense view (such as W_Q^h, a column
 * slice of c_attn) or the transpose of one (such as W_U = W_Eᵀ, a transposed view of the [V, d]
 * embedding) goes to {@link Matmul} as it is, with the transpose flag set, so no [V, d] copy is ever
 * made. Only other strided views are copied first.
 */
final class MatrixViews {
    private MatrixViews() {}

    /** x·y as a new float32 tensor: x [m, k], y [k, n] → [m, n]. */
    static Tensor product(Tensor x, Tensor y) {
        requireMatrix(x, "product");
        requireMatrix(y, "product");
        if (x.dim(1) != y.dim(0)) {
            throw new IllegalArgumentException("product: shapes do not chain: " + Arrays.toString(x.shape()) + " · "
                    + Arrays.toString(y.shape()));
        }
        Tensor c = Tensor.zeros(x.dim(0), y.dim(1));
        gemm(1f, x, y, c);
        return c;
    }

    /** c (row-dense, overwritten) = alpha · x · y. */
    static void gemm(float alpha, Tensor x, Tensor y, Tensor c) {
        boolean tx = transposedOnly(x), ty = transposedOnly(y);
        Tensor xs = tx ? x.transpose(0, 1) : x, ys = ty ? y.transpose(0, 1) : y;
        Matmul.gemm(tx, ty, alpha, xs, ys, 0f, c);
    }

    /** True when t is not row-dense but its transpose is (a transposed view of a row-dense matrix). */
    private static boolean transposedOnly(Tensor t) {
        return !t.isRowDense2d() && t.transpose(0, 1).isRowDense2d();
    }

    /** A float32 matrix view widened to float64 (any view). */
    static DMatrixRMaj widen(Tensor t) {
        requireMatrix(t, "widen");
        int m = t.dim(0), n = t.dim(1);
        DMatrixRMaj out = new DMatrixRMaj(m, n);
        float[] d = t.data();
        int o = t.offset(), s0 = t.stride(0), s1 = t.stride(1);
        for (int i = 0; i < m; i++) {
            int row = o + i * s0;
            for (int j = 0; j < n; j++) out.data[i * n + j] = d[row + j * s1];
        }
        return out;
    }

    /** A float64 matrix rounded to a new float32 tensor. */
    static Tensor narrow(DMatrixRMaj m) {
        Tensor t = Tensor.zeros(m.numRows, m.numCols);
        float[] d = t.data();
        for (int i = 0; i < d.length; i++) d[i] = (float) m.data[i];
        return t;
    }

    static void requireMatrix(Tensor t, String op) {
        if (t.rank() != 2) throw new IllegalArgumentException(op + ": expected a matrix, got shape " + Arrays.toString(t.shape()));
    }
}
