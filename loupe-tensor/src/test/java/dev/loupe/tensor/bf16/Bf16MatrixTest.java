package dev.loupe.tensor.bf16;

import dev.loupe.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The widening views of a {@link Bf16Matrix}: each equals the same block of the full widening. */
class Bf16MatrixTest {
    @Test
    void columnAndRowBlocksEqualTheFullWidening() {
        Bf16Matrix m = Bf16Matrix.of(Tensor.randn(3, 1f, 5, 7));   // [5, 7]
        Tensor full = m.toTensor();
        Tensor cols = m.columnsToTensor(2, 6);                       // [5, 4]
        assertThat(cols.shape()).containsExactly(5, 4);
        assertThat(cols.toArray()).containsExactly(full.slice(1, 2, 6).toArray());
        assertThat(m.rowsToTensor(1, 3).toArray()).containsExactly(full.slice(0, 1, 3).toArray());
        for (int r = 0; r < 5; r++) for (int c = 2; c < 6; c++) assertThat(cols.get(r, c - 2)).isEqualTo(m.get(r, c));
        assertThat(m.columnsToTensor(4, 4).size()).isZero();
        assertThatThrownBy(() -> m.columnsToTensor(3, 8)).isInstanceOf(IndexOutOfBoundsException.class);
    }
}
