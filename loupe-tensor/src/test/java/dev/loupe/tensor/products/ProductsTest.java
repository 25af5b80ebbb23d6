package dev.loupe.tensor.products;

import dev.loupe.tensor.Tensor;
import dev.loupe.tensor.matmul.Matmul;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * The identities of the products (SPEC M10). Both sides are computed in float32 along different
 * summation orders, so they agree to float32 rounding of sums of up to ~40 products of N(0,1)
 * entries: 1e-4 absolute is ample (and a wrong index would be off by O(1)).
 */
class ProductsTest {
    private static final float TOL = 1e-4f;

    @Test
    void smallProductsByHand() {
        Tensor a = Tensor.of(new float[] {1, 2, 3, 4}, 2, 2);
        Tensor b = Tensor.of(new float[] {0, 5, 6, 7}, 2, 2);
        assertThat(Products.kronecker(a, b).toArray()).containsExactly(
                0, 5, 0, 10,
                6, 7, 12, 14,
                0, 15, 0, 20,
                18, 21, 24, 28);
        assertThat(Products.outer(Tensor.of(new float[] {1, 2}, 2), Tensor.of(new float[] {3, 4, 5}, 3)).toArray())
                .containsExactly(3, 4, 5, 6, 8, 10);
        assertThat(Products.dot(Tensor.of(new float[] {1, 2, 3}, 3), Tensor.of(new float[] {4, 5, 6}, 3))).isEqualTo(32.0);
        assertThat(Products.frobenius(a, b)).isEqualTo(0 + 10 + 18 + 28);
        assertThat(Products.hadamard(a, b).toArray()).containsExactly(0, 10, 18, 28);
        assertThat(Products.trace(a)).isEqualTo(5.0);
        // vec stacks columns: [[1,2],[3,4]] -> [1,3,2,4]
        assertThat(Products.vec(a).toArray()).containsExactly(1, 3, 2, 4);
        assertThat(Products.unvec(Products.vec(a), 2, 2).toArray()).containsExactly(a.toArray());
        assertThat(Products.matmul(a, b).toArray()).containsExactly(12, 19, 24, 43);
    }

    @Test
    void mixedProductProperty() {
        // (A ⊗ B)(C ⊗ D) = (AC) ⊗ (BD)
        Tensor a = Tensor.randn(1, 1f, 2, 3), c = Tensor.randn(2, 1f, 3, 4);
        Tensor b = Tensor.randn(3, 1f, 3, 2), d = Tensor.randn(4, 1f, 2, 5);
        Tensor left = Matmul.matmul(Products.kronecker(a, b), Products.kronecker(c, d));
        Tensor right = Products.kronecker(Matmul.matmul(a, c), Matmul.matmul(b, d));
        assertThat(left.shape()).containsExactly(6, 20);
        assertThat(left.maxAbsDiff(right)).isLessThan(TOL);
    }

    @Test
    void vecOfAXBIsKroneckerTimesVec() {
        // vec(AXB) = (Bᵀ ⊗ A) vec(X), vec stacking columns.
        Tensor a = Tensor.randn(5, 1f, 3, 4), x = Tensor.randn(6, 1f, 4, 5), b = Tensor.randn(7, 1f, 5, 2);
        Tensor lhs = Products.vec(Matmul.matmul(Matmul.matmul(a, x), b));
        Tensor k = Products.kronecker(b.transpose(0, 1), a);
        Tensor rhs = Matmul.matmul(k, Products.vec(x).reshape(-1, 1)).reshape(-1);
        assertThat(lhs.shape()).containsExactly(6);
        assertThat(lhs.maxAbsDiff(rhs)).isLessThan(TOL);
    }

    @Test
    void frobeniusIsTraceOfATransposeB() {
        Tensor a = Tensor.randn(8, 1f, 6, 4), b = Tensor.randn(9, 1f, 6, 4);
        double trace = Products.trace(Matmul.matmul(a, true, b, false));
        assertThat(Products.frobenius(a, b)).isCloseTo(trace, within(1e-4));
        assertThat(Products.frobenius(a, a)).isCloseTo(dev.loupe.tensor.ops.Ops.sumOfSquares(a), within(1e-6));
        // Works on views: the transposes have the same inner product.
        assertThat(Products.frobenius(a.transpose(0, 1), b.transpose(0, 1))).isCloseTo(trace, within(1e-4));
    }

    @Test
    void outerIsKroneckerOfAColumnAndARow() {
        Tensor u = Tensor.randn(10, 1f, 4), v = Tensor.randn(11, 1f, 3);
        assertThat(Products.outer(u, v).maxAbsDiff(Products.kronecker(u.reshape(4, 1), v.reshape(1, 3)))).isZero();
    }

    @Test
    void blockProductEqualsFullProduct() {
        Tensor a = Tensor.randn(12, 1f, 7, 9), b = Tensor.randn(13, 1f, 9, 5);
        Tensor[][] ab = BlockMatrix.split(a, new int[] {3, 4}, new int[] {2, 6, 1});
        Tensor[][] bb = BlockMatrix.split(b, new int[] {2, 6, 1}, new int[] {4, 1});
        assertThat(BlockMatrix.assemble(ab).maxAbsDiff(a)).isZero();
        Tensor[][] cb = BlockMatrix.multiply(ab, bb);
        assertThat(cb.length).isEqualTo(2);
        assertThat(cb[0].length).isEqualTo(2);
        assertThat(cb[1][0].shape()).containsExactly(4, 4);
        assertThat(BlockMatrix.assemble(cb).maxAbsDiff(Matmul.matmul(a, b))).isLessThan(TOL);
    }

    @Test
    void splitGivesViewsAndBadGridsAreRejected() {
        Tensor a = Tensor.zeros(4, 4);
        Tensor[][] g = BlockMatrix.split(a, new int[] {2, 2}, new int[] {1, 3});
        g[1][1].set(5f, 0, 0);
        assertThat(a.get(2, 1)).isEqualTo(5f);
        assertThatThrownBy(() -> BlockMatrix.split(a, new int[] {2, 1}, new int[] {4})).hasMessageContaining("add up to 3, not 4");
        assertThatThrownBy(() -> BlockMatrix.assemble(new Tensor[][] {{Tensor.zeros(2, 2), Tensor.zeros(3, 2)}}))
                .hasMessageContaining("block (0, 1)");
    }

    @Test
    void tensordotMatchesANaiveLoop() {
        Tensor a = Tensor.randn(14, 1f, 3, 4, 5), b = Tensor.randn(15, 1f, 5, 2, 4);
        // Contract a's axis 1 (4) with b's axis 2 (4), and a's axis 2 (5) with b's axis 0 (5): out [3, 2].
        Tensor out = Contraction.tensordot(a, b, new int[] {1, 2}, new int[] {2, 0});
        assertThat(out.shape()).containsExactly(3, 2);
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 2; j++) {
                double s = 0;
                for (int k = 0; k < 4; k++) for (int l = 0; l < 5; l++) s += a.get(i, k, l) * b.get(l, j, k);
                assertThat((double) out.get(i, j)).isCloseTo(s, within(1e-4));
            }
        }
        // One axis pair keeps the other axes in order: [3, 4, 5] · [5, 2, 4] over 5 -> [3, 4, 2, 4].
        Tensor one = Contraction.tensordot(a, b, 1);
        assertThat(one.shape()).containsExactly(3, 4, 2, 4);
        for (int i = 0; i < 3; i++) for (int k = 0; k < 4; k++) for (int j = 0; j < 2; j++) for (int m = 0; m < 4; m++) {
            double s = 0;
            for (int l = 0; l < 5; l++) s += a.get(i, k, l) * b.get(l, j, m);
            assertThat((double) one.get(i, k, j, m)).isCloseTo(s, within(1e-4));
        }
        // Full contraction is the Frobenius inner product; zero axes is the outer product.
        Tensor c = Tensor.randn(16, 1f, 3, 4, 5);
        assertThat((double) Contraction.tensordot(a, c, 3).get()).isCloseTo(Products.frobenius(a, c), within(1e-4));
        Tensor u = Tensor.randn(17, 1f, 3), v = Tensor.randn(18, 1f, 4);
        assertThat(Contraction.tensordot(u, v, 0).maxAbsDiff(Products.outer(u, v))).isZero();
        assertThatThrownBy(() -> Contraction.tensordot(a, b, new int[] {0}, new int[] {0})).hasMessageContaining("differ in size");
    }

    @Test
    void permuteReordersAxes() {
        Tensor t = Tensor.randn(19, 1f, 2, 3, 4);
        Tensor p = Contraction.permute(t, 2, 0, 1);
        assertThat(p.shape()).containsExactly(4, 2, 3);
        for (int i = 0; i < 2; i++) for (int j = 0; j < 3; j++) for (int k = 0; k < 4; k++) {
            assertThat(p.get(k, i, j)).isEqualTo(t.get(i, j, k));
        }
        assertThatThrownBy(() -> Contraction.permute(t, 0, 0, 1)).hasMessageContaining("not a permutation");
    }
}
