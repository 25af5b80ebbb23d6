package dev.loupe.tensor.matmul;

/**
 * The plain triple loop, accumulating in double: slow, obviously correct, and the yardstick
 * the fast backends are tested against.
 */
public final class ReferenceMatmul implements MatmulBackend {

    @Override
    public String name() {
        return "reference";
    }

    @Override
    public void sgemm(boolean transA, boolean transB, int m, int n, int k,
                      float alpha, float[] a, int aOff, int lda,
                      float[] b, int bOff, int ldb,
                      float beta, float[] c, int cOff, int ldc) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double acc = 0;
                for (int p = 0; p < k; p++) {
                    float av = transA ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
                    float bv = transB ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j];
                    acc += (double) av * bv;
                }
                int ci = cOff + i * ldc + j;
                c[ci] = (float) (alpha * acc + (beta == 0f ? 0.0 : (double) beta * c[ci]));
            }
        }
    }
}
