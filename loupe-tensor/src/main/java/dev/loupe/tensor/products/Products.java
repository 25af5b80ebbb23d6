package dev.loupe.tensor.products;

import dev.loupe.tensor.Tensor;
import dev.loupe.tensor.matmul.Matmul;
import dev.loupe.tensor.ops.Ops;

import java.util.Arrays;

/**
 * The products of linear algebra on {@link Tensor}s (SPEC M10): matrix, dot, Frobenius inner,
 * Hadamard, Kronecker and outer products, with trace and vec, the pieces their identities are stated
 * in. Block products are in {@link BlockMatrix}, tensor contraction in {@link Contraction}.
 *
 * <p>Inner products return double (accumulated in double); tensor-valued products return new
 * contiguous float32 tensors. Inputs may be any views.
 */
public final class Products {
    private Products() {}

    /** Matrix product {@code A·B}: [m, k]·[k, n] → [m, n] (rank-3 batches too), by {@link Matmul}. */
    public static Tensor matmul(Tensor a, Tensor b) {
        return Matmul.matmul(a, b);
    }

    /** Dot product {@code u·v = Σ_i u_i v_i} of two vectors of the same length. */
    public static double dot(Tensor u, Tensor v) {
        if (u.rank() != 1 || v.rank() != 1 || u.dim(0) != v.dim(0)) {
            throw new IllegalArgumentException("dot: expected two vectors of one length, got " + Arrays.toString(u.shape())
                    + " and " + Arrays.toString(v.shape()));
        }
        return frobenius(u, v);
    }

    /**
     * Frobenius inner product {@code ⟨A, B⟩_F = Σ_ij A_ij B_ij = tr(AᵀB)} of two tensors of the same shape
     * (any rank: the dot product of their flattenings).
     */
    public static double frobenius(Tensor a, Tensor b) {
        Tensor.requireSameShape(a, b, "frobenius");
        float[] x = a.toArray(), y = b.toArray();
        double s = 0;
        for (int i = 0; i < x.length; i++) s += (double) x[i] * y[i];
        return s;
    }

    /** Hadamard (elementwise) product {@code A ⊙ B} of two tensors of the same shape. */
    public static Tensor hadamard(Tensor a, Tensor b) {
        return Ops.hadamard(a, b);
    }

    /**
     * Kronecker product {@code A ⊗ B}: A [m, n], B [p, q] → [m·p, n·q], the block matrix whose block
     * (i, j) is {@code A_ij·B}: {@code (A ⊗ B)[i·p + k, j·q + l] = A_ij·B_kl}.
     */
    public static Tensor kronecker(Tensor a, Tensor b) {
        requireMatrix(a, "kronecker");
        requireMatrix(b, "kronecker");
        int m = a.dim(0), n = a.dim(1), p = b.dim(0), q = b.dim(1);
        float[] x = a.toArray(), y = b.toArray();
        Tensor out = Tensor.zeros(m * p, n * q);
        float[] o = out.data();
        int width = n * q;
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float aij = x[i * n + j];
                for (int k = 0; k < p; k++) {
                    int row = (i * p + k) * width + j * q;
                    for (int l = 0; l < q; l++) o[row + l] = aij * y[k * q + l];
                }
            }
        }
        return out;
    }

    /** Outer product {@code u vᵀ}: [m], [n] → [m, n] with entries {@code u_i v_j}. */
    public static Tensor outer(Tensor u, Tensor v) {
        if (u.rank() != 1 || v.rank() != 1) {
            throw new IllegalArgumentException("outer: expected two vectors, got " + Arrays.toString(u.shape())
                    + " and " + Arrays.toString(v.shape()));
        }
        float[] x = u.toArray(), y = v.toArray();
        Tensor out = Tensor.zeros(x.length, y.length);
        float[] o = out.data();
        for (int i = 0; i < x.length; i++) for (int j = 0; j < y.length; j++) o[i * y.length + j] = x[i] * y[j];
        return out;
    }

    /** Trace {@code tr(A) = Σ_i A_ii} of a square matrix, in double. */
    public static double trace(Tensor a) {
        requireMatrix(a, "trace");
        if (a.dim(0) != a.dim(1)) throw new IllegalArgumentException("trace: expected a square matrix, got " + Arrays.toString(a.shape()));
        double s = 0;
        for (int i = 0; i < a.dim(0); i++) s += a.get(i, i);
        return s;
    }

    /**
     * {@code vec(X)}: the columns of X [m, n] stacked into one vector [m·n] (column-major, the
     * convention of the identity {@code vec(AXB) = (Bᵀ ⊗ A)·vec(X)}): {@code vec(X)[j·m + i] = X_ij}.
     */
    public static Tensor vec(Tensor x) {
        requireMatrix(x, "vec");
        return x.transpose(0, 1).contiguous().reshape(x.size());
    }

    /** Inverse of {@link #vec}: the vector [m·n] laid back into the columns of an [m, n] matrix. */
    public static Tensor unvec(Tensor v, int m, int n) {
        if (v.rank() != 1 || v.dim(0) != m * n) {
            throw new IllegalArgumentException("unvec: expected a vector of " + m + "·" + n + " values, got " + Arrays.toString(v.shape()));
        }
        return v.reshape(n, m).transpose(0, 1).contiguous();
    }

    static void requireMatrix(Tensor t, String op) {
        if (t.rank() != 2) throw new IllegalArgumentException(op + ": expected a matrix, got shape " + Arrays.toString(t.shape()));
    }
}
