package dev.loupe.tensor.ops;

import dev.loupe.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static dev.loupe.tensor.ops.OpsTesting.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * Reductions, NaN/Inf checks and gather against {@link ReferenceOps}.
 *
 * <p>Tolerances: the kernels accumulate in float32 lanes (whole-array sums then combine 4096-element
 * blocks in double); for n standard-normal terms the float error grows like √n·2⁻²⁴·|terms|, so
 * 1e-5 relative of Σ|x| is ample for the sizes here. max and argmax are exact.
 */
class ReductionOpsTest {

    @Test
    void wholeTensorSumsMatchReference() {
        long seed = 1;
        for (int[] shape : new int[][] {{1}, {7}, {33}, {1000}, {300, 1000}, {7, 33}}) {
            for (Layout layout : Layout.values()) {
                Tensor x = random(seed++, layout, shape);
                double scale = ReferenceOps.sumOfSquares(x) + 1;
                assertThat(Ops.sum(x)).isCloseTo(ReferenceOps.sum(x), within(1e-5 * Math.sqrt(scale * x.size())));
                assertThat(Ops.sumOfSquares(x)).isCloseTo(ReferenceOps.sumOfSquares(x), within(1e-6 * scale));
                assertThat(Ops.maxAbs(x)).isEqualTo(ReferenceOps.maxAbs(x));
            }
        }
    }

    @Test
    void sumsAreDeterministic() {
        Tensor x = Tensor.randn(9, 1f, 1_000_003);
        double first = Ops.sum(x), firstSq = Ops.sumOfSquares(x);
        for (int i = 0; i < 5; i++) {
            assertThat(Ops.sum(x)).isEqualTo(first);
            assertThat(Ops.sumOfSquares(x)).isEqualTo(firstSq);
        }
    }

    @Test
    void axisReductionsMatchReferenceOnEveryAxis() {
        long seed = 20;
        for (int[] shape : new int[][] {{7, 33}, {1, 1}, {3, 1000}, {2, 5, 33}, {4, 300, 7}, {400, 300}}) {
            for (Layout layout : Layout.values()) {
                Tensor x = random(seed++, layout, shape);
                for (int axis = -1; axis < shape.length; axis++) {
                    if (axis == -1 && shape.length == 0) continue;
                    assertClose(Ops.sum(x, axis), ReferenceOps.sum(x, axis), 1e-5, 1e-4);
                    assertClose(Ops.mean(x, axis), ReferenceOps.mean(x, axis), 1e-5, 1e-5);
                    assertClose(Ops.max(x, axis), ReferenceOps.max(x, axis), 0, 0);
                }
            }
        }
    }

    @Test
    void sumRowsIntoAccumulatesTheColumnSums() {
        long seed = 30;
        for (int[] shape : new int[][] {{1, 1}, {7, 33}, {300, 7}, {64, 1000}, {2, 5, 33}}) {
            for (Layout layout : Layout.values()) {
                int d = shape[shape.length - 1];
                Tensor x = random(seed++, layout, shape), acc = Tensor.randn(seed++, 1f, d);
                Tensor expected = ReferenceOps.add(ReferenceOps.sum(x.reshape(-1, d), 0), acc);
                Ops.sumRowsInto(x, acc);
                assertClose(acc, expected, 1e-5, 1e-4);
            }
        }
        assertThatThrownBy(() -> Ops.sumRowsInto(Tensor.zeros(3, 4), Tensor.zeros(5))).hasMessageContaining("expected 4 values");
    }

    @Test
    void argmaxMatchesReferenceIncludingTiesAndNaN() {
        long seed = 40;
        for (int[] shape : SHAPES) {
            for (Layout layout : Layout.values()) {
                Tensor x = random(seed++, layout, shape);
                assertThat(Ops.argmax(x)).containsExactly(ReferenceOps.argmax(x));
            }
        }
        Tensor ties = Tensor.of(new float[] {1, 3, 3, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 2, 9);
        assertThat(Ops.argmax(ties)).containsExactly(1, 0);
        Tensor nan = Tensor.of(new float[] {1, Float.NaN, 5, 2, 7, 0, 0, 0, 0, 1}, 1, 10);
        assertThat(Ops.argmax(nan)).containsExactly(ReferenceOps.argmax(nan));
        Tensor ninf = Tensor.zeros(1, 12).fill(Float.NEGATIVE_INFINITY);
        assertThat(Ops.argmax(ninf)).containsExactly(0);
    }

    @Test
    void firstNonFiniteNamesTheFirstBadElement() {
        Tensor x = Tensor.randn(2, 1f, 200_000);
        assertThat(Ops.firstNonFinite(x)).isEqualTo(-1);
        assertThat(Ops.isFinite(x)).isTrue();
        for (int at : new int[] {0, 5, 8, 4095, 4096, 123_457, 199_999}) {
            for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
                Tensor y = x.copy();
                y.data()[at] = bad;
                if (at < 199_999) y.data()[199_999] = Float.NaN; // a later one must not win
                assertThat(Ops.firstNonFinite(y)).isEqualTo(at).isEqualTo(ReferenceOps.firstNonFinite(y));
                assertThat(Ops.isFinite(y)).isFalse();
            }
        }
        // Row-major order of a transposed view, not storage order.
        Tensor t = Tensor.zeros(3, 4);
        t.set(Float.NaN, 2, 0);
        t.set(Float.POSITIVE_INFINITY, 0, 3);
        Tensor view = t.transpose(0, 1); // [4, 3]; (0,3) becomes (3,0) = index 9, (2,0) becomes (0,2) = index 2
        assertThat(Ops.firstNonFinite(view)).isEqualTo(2);
    }

    @Test
    void maxAbsPropagatesNaNAndSeesNegativeValues() {
        Tensor x = Tensor.of(new float[] {1, -9, 3, 0, 0, 0, 0, 0, 0, 2}, 10);
        assertThat(Ops.maxAbs(x)).isEqualTo(9f);
        Tensor big = Tensor.randn(3, 1f, 100_000);
        big.data()[77_777] = Float.NaN;
        assertThat(Ops.maxAbs(big)).isNaN();
        assertThat(Ops.maxAbs(Tensor.zeros(0))).isEqualTo(0f);
    }

    @Test
    void gatherAndScatterAddMatchReferenceExactly() {
        long seed = 60;
        for (int d : new int[] {1, 7, 33, 1000}) {
            Tensor table = random(seed++, Layout.SLICED, 50, d);
            int[] ids = new int[300];
            for (int i = 0; i < ids.length; i++) ids[i] = (i * 37 + 11) % 50; // repeated ids
            assertClose(Ops.gather(table, ids), ReferenceOps.gather(table, ids), 0, 0);
            Tensor dout = random(seed++, Layout.TRANSPOSED, ids.length, d);
            Tensor dt = Tensor.randn(seed++, 1f, 50, d), dtRef = dt.copy();
            Ops.gatherBackward(dout, ids, dt);
            ReferenceOps.gatherBackward(dout, ids, dtRef);
            assertClose(dt, dtRef, 0, 0);
        }
        assertThatThrownBy(() -> Ops.gather(Tensor.zeros(5, 3), new int[] {1, 5})).isInstanceOf(IndexOutOfBoundsException.class)
                .hasMessageContaining("token id 5");
        assertThatThrownBy(() -> Ops.gatherBackward(Tensor.zeros(1, 3), new int[] {-1}, Tensor.zeros(5, 3)))
                .isInstanceOf(IndexOutOfBoundsException.class);
    }
}
