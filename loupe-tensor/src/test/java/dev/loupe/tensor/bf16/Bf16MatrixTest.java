package dev.loupe.tensor.bf16;

import dev.loupe.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The accessors of a {@link Bf16Matrix} speak of [row, column] whatever its storage: shapes with
 * row quads and rows past the last quad ([10, 32], [9, 48]), and shapes that stay row-major (a
 * width that is not a multiple of 16, fewer than four rows).
 */
class Bf16MatrixTest {
    @ParameterizedTest
    @CsvSource({"10,32", "9,48", "5,7", "3,16", "8,17"})
    void everyViewEqualsTheRowMajorValues(int rows, int cols) {
        Tensor t = Tensor.randn(3, 1f, rows, cols);
        Bf16Matrix m = Bf16Matrix.of(t);
        short[] rowMajor = m.toRowMajor();
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                assertThat(rowMajor[r * cols + c]).isEqualTo(BFloat16.fromFloat(t.get(r, c)));
                assertThat(m.get(r, c)).isEqualTo(BFloat16.round(t.get(r, c)));
            }
        }
        Bf16Matrix back = Bf16Matrix.wrap(rowMajor, rows, cols);
        assertThat(back.sameValues(m)).isTrue();
        assertThat(back.toRowMajor()).containsExactly(rowMajor);

        Tensor full = m.toTensor();
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) assertThat(full.get(r, c)).isEqualTo(m.get(r, c));
        int c0 = Math.min(3, cols), c1 = cols - 1;                    // a block that starts and ends inside chunks
        Tensor block = m.columnsToTensor(c0, c1);
        assertThat(block.shape()).containsExactly(rows, c1 - c0);
        assertThat(block.toArray()).containsExactly(full.slice(1, c0, c1).toArray());
        assertThat(m.rowsToTensor(1, rows).toArray()).containsExactly(full.slice(0, 1, rows).toArray());
        float[] row = new float[cols + 2];
        m.widenRow(rows - 1, row, 2);
        for (int c = 0; c < cols; c++) assertThat(row[2 + c]).isEqualTo(m.get(rows - 1, c));
        assertThat(m.columnsToTensor(4, 4).size()).isZero();
        assertThatThrownBy(() -> m.columnsToTensor(3, cols + 1)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @ParameterizedTest
    @CsvSource({"10,32,2,17", "10,32,9,31", "9,48,8,0", "5,7,4,6"})
    void theFirstNonFiniteValueIsFoundInRowMajorOrder(int rows, int cols, int r, int c) {
        Tensor t = Tensor.randn(5, 1f, rows, cols);
        assertThat(Bf16Matrix.of(t).firstNonFinite()).isNull();
        t.set(Float.NaN, r, c);
        if (c + 1 < cols) t.set(Float.POSITIVE_INFINITY, r, c + 1);   // a later one is not reported
        if (r + 1 < rows) t.set(Float.NEGATIVE_INFINITY, r + 1, 0);
        assertThat(Bf16Matrix.of(t).firstNonFinite()).containsExactly(r, c);
    }

    @ParameterizedTest
    @CsvSource({"10,32", "5,7"})
    void sameValuesComparesShapeAndBits(int rows, int cols) {
        Tensor t = Tensor.randn(7, 1f, rows, cols);
        Bf16Matrix m = Bf16Matrix.of(t);
        assertThat(m.sameValues(Bf16Matrix.of(t))).isTrue();
        t.set(t.get(rows - 1, cols - 1) * 2 + 1, rows - 1, cols - 1);
        assertThat(m.sameValues(Bf16Matrix.of(t))).isFalse();
        assertThat(m.sameValues(Bf16Matrix.wrap(m.toRowMajor(), cols, rows))).isFalse();
    }
}
