package dev.loupe.tensor;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Views share storage and index correctly; copies do not share; bad shapes fail with clear messages. */
class TensorTest {

    private static Tensor iota(int... shape) {
        Tensor t = Tensor.zeros(shape);
        for (int i = 0; i < t.size(); i++) t.data()[i] = i;
        return t;
    }

    @Test
    void constructionAndRowMajorIndexing() {
        Tensor t = iota(2, 3, 4);
        assertThat(t.shape()).containsExactly(2, 3, 4);
        assertThat(t.strides()).containsExactly(12, 4, 1);
        assertThat(t.get(1, 2, 3)).isEqualTo(23f);
        assertThat(t.dim(-1)).isEqualTo(4);
        assertThat(t.isContiguous()).isTrue();
        assertThat(Tensor.scalar(5f).rank()).isZero();
        assertThat(Tensor.scalar(5f).get()).isEqualTo(5f);
        assertThat(Tensor.randn(7, 1f, 10).toArray()).containsExactly(Tensor.randn(7, 1f, 10).toArray());
        assertThatThrownBy(() -> Tensor.of(new float[5], 2, 3)).hasMessageContaining("needs 6 values");
        assertThatThrownBy(() -> Tensor.wrap(new float[5], 2, 2, 2)).hasMessageContaining("does not fit");
        assertThatThrownBy(() -> Tensor.zeros(2, -1)).hasMessageContaining("negative");
        assertThatThrownBy(() -> t.get(2, 0, 0)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> t.get(0, 0)).hasMessageContaining("expected 3 indices");
    }

    @Test
    void reshapeIsAViewOfContiguousTensorsAndInfersMinusOne() {
        Tensor t = iota(2, 3, 4);
        Tensor r = t.reshape(6, -1);
        assertThat(r.shape()).containsExactly(6, 4);
        assertThat(r.get(5, 3)).isEqualTo(23f);
        r.set(-1f, 0, 0);
        assertThat(t.get(0, 0, 0)).isEqualTo(-1f); // shares storage
        assertThatThrownBy(() -> t.reshape(5, -1)).hasMessageContaining("cannot reshape");
        assertThatThrownBy(() -> t.reshape(-1, -1)).hasMessageContaining("only one -1");
        assertThatThrownBy(() -> t.reshape(4, 4)).hasMessageContaining("cannot reshape");
    }

    @Test
    void reshapeOfANonContiguousViewCopiesInRowMajorOrder() {
        Tensor t = iota(2, 3);
        Tensor tr = t.transpose(0, 1); // [[0,3],[1,4],[2,5]]
        Tensor flat = tr.reshape(6);
        assertThat(flat.toArray()).containsExactly(0, 3, 1, 4, 2, 5);
        flat.set(99f, 0);
        assertThat(t.get(0, 0)).isEqualTo(0f); // a copy, not a view
    }

    @Test
    void sliceAndSelectAreViews() {
        Tensor t = iota(4, 5);
        Tensor s = t.slice(1, 1, 3); // columns 1..2
        assertThat(s.shape()).containsExactly(4, 2);
        assertThat(s.isContiguous()).isFalse();
        assertThat(s.isRowDense2d()).isTrue();
        assertThat(s.toArray()).containsExactly(1, 2, 6, 7, 11, 12, 16, 17);
        s.set(-5f, 3, 1);
        assertThat(t.get(3, 2)).isEqualTo(-5f);

        Tensor row = t.select(0, 2);
        assertThat(row.shape()).containsExactly(5);
        assertThat(row.isContiguous()).isTrue();
        assertThat(row.toArray()).containsExactly(10, 11, 12, 13, 14);
        Tensor col = t.select(-1, 4);
        assertThat(col.toArray()).containsExactly(4, 9, 14, 19);
        assertThat(col.isContiguous()).isFalse();

        assertThatThrownBy(() -> t.slice(0, 2, 5)).isInstanceOf(IndexOutOfBoundsException.class).hasMessageContaining("slice [2, 5)");
        assertThatThrownBy(() -> t.select(1, 5)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> t.select(2, 0)).isInstanceOf(IndexOutOfBoundsException.class).hasMessageContaining("dimension 2");
    }

    @Test
    void transposeSwapsAxesWithoutCopying() {
        Tensor t = iota(2, 3, 4);
        Tensor tr = t.transpose(0, 2);
        assertThat(tr.shape()).containsExactly(4, 3, 2);
        for (int i = 0; i < 2; i++) for (int j = 0; j < 3; j++) for (int k = 0; k < 4; k++) {
            assertThat(tr.get(k, j, i)).isEqualTo(t.get(i, j, k));
        }
        assertThat(tr.isContiguous()).isFalse();
        assertThat(tr.transpose(0, 2).isContiguous()).isTrue();
        assertThat(tr.data()).isSameAs(t.data());
    }

    @Test
    void contiguousCopiesOnlyWhenNeeded() {
        Tensor t = iota(3, 4);
        assertThat(t.contiguous()).isSameAs(t);
        Tensor c = t.transpose(0, 1).contiguous();
        assertThat(c.isContiguous()).isTrue();
        assertThat(c.data()).isNotSameAs(t.data());
        assertThat(c.get(3, 2)).isEqualTo(t.get(2, 3));
        Tensor copy = t.copy();
        copy.set(100f, 0, 0);
        assertThat(t.get(0, 0)).isEqualTo(0f);
    }

    @Test
    void copyIntoHandlesViewsOnBothSides() {
        Tensor src = iota(3, 4).transpose(0, 1); // [4, 3]
        Tensor big = Tensor.zeros(4, 6);
        Tensor dst = big.slice(1, 2, 5); // [4, 3] view
        src.copyInto(dst);
        for (int i = 0; i < 4; i++) for (int j = 0; j < 3; j++) assertThat(big.get(i, j + 2)).isEqualTo(src.get(i, j));
        assertThat(big.get(0, 0)).isZero();
        assertThat(big.get(3, 5)).isZero();
        assertThatThrownBy(() -> src.copyInto(Tensor.zeros(3, 4))).hasMessageContaining("shapes differ");
    }

    @Test
    void fillAndMaxAbsDiff() {
        Tensor t = Tensor.zeros(3, 3);
        t.transpose(0, 1).slice(0, 1, 2).fill(2f); // column 1
        assertThat(t.toArray()).containsExactly(0, 2, 0, 0, 2, 0, 0, 2, 0);
        assertThat(t.maxAbsDiff(Tensor.zeros(3, 3))).isEqualTo(2f);
        Tensor n = Tensor.zeros(3, 3);
        n.set(Float.NaN, 1, 1);
        assertThat(t.maxAbsDiff(n)).isNaN();
    }

    @Test
    void contiguousDataRefusesViews() {
        Tensor t = iota(3, 4);
        assertThat(t.select(0, 1).contiguousData()).isSameAs(t.data());
        assertThatThrownBy(() -> t.transpose(0, 1).contiguousData()).hasMessageContaining("expected a contiguous tensor");
    }
}
