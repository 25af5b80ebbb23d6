package dev.loupe.tensor.linalg;

import dev.loupe.tensor.Tensor;
import org.ejml.data.DMatrixRMaj;

import java.util.Arrays;

/**
 * Conversion between float32 {@link Tensor} matrices and EJML's float64 {@link DMatrixRMaj}, the
 * representation of the small dense linear algebra in this package (circuit analyses work on
 * d_head- and d_model-sized matrices, where float64 costs little and avoids precision questions).
 */
public final class Dense {
    private Dense() {}

    /** A [m, n] tensor (any view) widened to a new float64 m×n matrix. */
    public static DMatrixRMaj of(Tensor t) {
        if (t.rank() != 2) throw new IllegalArgumentException("expected a matrix [m, n], got shape " + Arrays.toString(t.shape()));
        float[] v = t.toArray();
        DMatrixRMaj m = new DMatrixRMaj(t.dim(0), t.dim(1));
        for (int i = 0; i < v.length; i++) m.data[i] = v[i];
        return m;
    }

    /** A float64 matrix rounded to a new float32 [rows, cols] tensor. */
    public static Tensor toTensor(DMatrixRMaj m) {
        Tensor t = Tensor.zeros(m.numRows, m.numCols);
        float[] d = t.data();
        for (int i = 0; i < d.length; i++) d[i] = (float) m.data[i];
        return t;
    }

    /** A float64 matrix from rows given as arrays (all of one length), for tests and small constants. */
    public static DMatrixRMaj ofRows(double[]... rows) {
        return new DMatrixRMaj(rows);
    }

    /** Throws a {@link DecompositionException} naming the first NaN or ±∞ entry of {@code a}, if any. */
    static void requireFinite(DMatrixRMaj a, String what) {
        for (int i = 0; i < a.numRows; i++) {
            for (int j = 0; j < a.numCols; j++) {
                double v = a.get(i, j);
                if (!Double.isFinite(v)) {
                    throw new DecompositionException(what + ": the " + a.numRows + "×" + a.numCols + " matrix has " + v
                            + " at (" + i + ", " + j + ")");
                }
            }
        }
    }

    static void requireSquare(DMatrixRMaj a, String what) {
        if (a.numRows != a.numCols) {
            throw new IllegalArgumentException(what + ": expected a square matrix, got " + a.numRows + "×" + a.numCols);
        }
    }
}
