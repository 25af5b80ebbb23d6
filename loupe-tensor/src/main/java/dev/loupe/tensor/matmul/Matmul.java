package dev.loupe.tensor.matmul;

import dev.loupe.tensor.Tensor;

import java.util.Arrays;

/**
 * Matrix products on {@link Tensor}s, dispatched to the active {@link MatmulBackend}.
 *
 * <p>Shapes: {@code a} is [m, k] (or [k, m] when transposed), {@code b} is [k, n] (or [n, k]);
 * rank-3 operands [batch, ·, ·] are multiplied batch by batch, and a rank-2 {@code b} is shared
 * across a batched {@code a}. Operands may be row-dense 2-D views (last stride 1) such as a
 * per-head column slice of a weight matrix.
 */
public final class Matmul {
    private static volatile MatmulBackend backend; // chosen on first use: a bad LOUPE_BACKEND is then a plain LoupeException

    private Matmul() {}

    /** The backend in use: {@link Backends#fromEnvironment()} unless replaced. */
    public static MatmulBackend backend() {
        MatmulBackend b = backend;
        if (b == null) {
            synchronized (Matmul.class) {
                if (backend == null) backend = Backends.fromEnvironment();
                b = backend;
            }
        }
        return b;
    }

    /** Replaces the backend (tests and benchmarks compare backends this way). */
    public static void setBackend(MatmulBackend b) {
        backend = b;
    }

    /** {@code a · b}. */
    public static Tensor matmul(Tensor a, Tensor b) {
        return matmul(a, false, b, false);
    }

    /** {@code op(a) · op(b)} as a new tensor. */
    public static Tensor matmul(Tensor a, boolean transA, Tensor b, boolean transB) {
        if (a.rank() == 2 && b.rank() == 2) {
            int m = transA ? a.dim(1) : a.dim(0);
            int n = transB ? b.dim(0) : b.dim(1);
            Tensor c = Tensor.zeros(m, n);
            gemm(transA, transB, 1f, a, b, 0f, c);
            return c;
        }
        if (a.rank() == 3 && (b.rank() == 3 || b.rank() == 2)) {
            int batch = a.dim(0);
            if (b.rank() == 3 && b.dim(0) != batch) {
                throw new IllegalArgumentException("matmul: batch sizes differ, " + Arrays.toString(a.shape())
                        + " vs " + Arrays.toString(b.shape()));
            }
            int m = transA ? a.dim(2) : a.dim(1);
            int n = b.rank() == 3 ? (transB ? b.dim(1) : b.dim(2)) : (transB ? b.dim(0) : b.dim(1));
            Tensor c = Tensor.zeros(batch, m, n);
            for (int i = 0; i < batch; i++) {
                gemm(transA, transB, 1f, a.select(0, i), b.rank() == 3 ? b.select(0, i) : b, 0f, c.select(0, i));
            }
            return c;
        }
        throw new IllegalArgumentException("matmul: unsupported ranks " + Arrays.toString(a.shape())
                + " · " + Arrays.toString(b.shape()));
    }

    /** {@code c = alpha · op(a) · op(b) + beta · c} for 2-D row-dense tensors. */
    public static void gemm(boolean transA, boolean transB, float alpha, Tensor a, Tensor b, float beta, Tensor c) {
        Tensor ad = rowDense(a), bd = rowDense(b);
        if (!c.isRowDense2d()) throw new IllegalArgumentException("gemm: output must be a row-dense matrix");
        int m = transA ? ad.dim(1) : ad.dim(0);
        int k = transA ? ad.dim(0) : ad.dim(1);
        int kb = transB ? bd.dim(1) : bd.dim(0);
        int n = transB ? bd.dim(0) : bd.dim(1);
        if (k != kb || c.dim(0) != m || c.dim(1) != n) {
            throw new IllegalArgumentException("gemm: shapes do not chain: " + desc(a, transA) + " · " + desc(b, transB)
                    + " -> " + Arrays.toString(c.shape()));
        }
        if (m == 0 || n == 0) return;
        backend().sgemm(transA, transB, m, n, k, alpha,
                ad.data(), ad.offset(), leadingDimension(ad),
                bd.data(), bd.offset(), leadingDimension(bd),
                beta, c.data(), c.offset(), leadingDimension(c));
    }

    /**
     * BLAS's leading dimension of a row-dense matrix: the row stride, except for a single row, whose
     * stride is arbitrary (e.g. the transpose of an [n, 1] column has stride 1) while BLAS requires
     * lda ≥ the row length.
     */
    static int leadingDimension(Tensor t) {
        return t.dim(0) <= 1 ? Math.max(1, t.dim(1)) : Math.max(1, t.stride(0));
    }

    private static Tensor rowDense(Tensor t) {
        if (t.rank() != 2) throw new IllegalArgumentException("gemm: expected a matrix, got shape " + Arrays.toString(t.shape()));
        return t.isRowDense2d() ? t : t.copy();
    }

    private static String desc(Tensor t, boolean trans) {
        return Arrays.toString(t.shape()) + (trans ? "ᵀ" : "");
    }
}
