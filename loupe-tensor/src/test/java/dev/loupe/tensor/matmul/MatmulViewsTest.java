package dev.loupe.tensor.matmul;

import dev.loupe.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link Matmul} on views whose strides are unusual but legal: single rows and columns. */
class MatmulViewsTest {

    /**
     * The transpose of an [n, 1] column is a [1, n] row with stride(0) = 1: a BLAS backend given
     * that as its leading dimension rejects or misreads it (lda must be ≥ n).
     */
    @ParameterizedTest
    @MethodSource("dev.loupe.tensor.matmul.MatmulBackendTest#backends")
    void singleRowViewOfATransposedColumn(MatmulBackend backend) {
        MatmulBackend before = Matmul.backend();
        try {
            Matmul.setBackend(backend);
            Tensor column = Tensor.randn(1, 1f, 7, 1);
            Tensor row = column.transpose(0, 1); // [1, 7], strides [1, 1]
            Tensor b = Tensor.randn(2, 1f, 7, 5);
            Tensor a = Tensor.randn(3, 1f, 4, 1);
            Tensor gotLeft = Matmul.matmul(row, b);      // [1, 7] · [7, 5]
            Tensor gotRight = Matmul.matmul(a, row);     // [4, 1] · [1, 7]: the row is B with k = 1
            Matmul.setBackend(new ReferenceMatmul());
            assertThat(gotLeft.maxAbsDiff(Matmul.matmul(row.copy(), b))).isLessThan(1e-5f);
            assertThat(gotRight.maxAbsDiff(Matmul.matmul(a, row.copy()))).isLessThan(1e-5f);
        } finally {
            Matmul.setBackend(before);
        }
    }
}
