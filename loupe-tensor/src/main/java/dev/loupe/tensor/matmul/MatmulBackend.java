package dev.loupe.tensor.matmul;

/**
 * One way of computing a single-precision general matrix product, in BLAS's terms:
 * {@code C = alpha · op(A) · op(B) + beta · C} with row-major storage, where op(X) is X or Xᵀ,
 * op(A) is [m, k], op(B) is [k, n] and C is [m, n]; {@code lda}, {@code ldb}, {@code ldc} are the
 * row strides of the stored (untransposed) arrays.
 *
 * <p>Implementations must give the same result as {@link ReferenceMatmul} to float32 rounding and
 * must treat {@code beta == 0} as "overwrite" (C's old contents, even NaN, are ignored).
 */
public interface MatmulBackend {

    /** Short name shown in {@code bench} output and {@code --debug} logs, e.g. "java" or "blas". */
    String name();

    void sgemm(boolean transA, boolean transB, int m, int n, int k,
               float alpha, float[] a, int aOff, int lda,
               float[] b, int bOff, int ldb,
               float beta, float[] c, int cOff, int ldc);
}
