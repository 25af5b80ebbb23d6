package dev.loupe.tensor.ops;

import dev.loupe.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static dev.loupe.tensor.ops.OpsTesting.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Elementwise kernels against {@link ReferenceOps}. They round once per operation exactly like the
 * scalar loop, so they must agree bit for bit; only axpy fuses its multiply-add (one rounding instead
 * of two), so it may differ by one float32 ulp of the product α·x, which for |α·x| < 8 is below 1e-6
 * absolute (plus 1.2e-7 relative for the final rounding).
 */
class ElementwiseOpsTest {

    @Test
    void binaryOpsMatchReferenceExactly() {
        long seed = 1;
        for (int[] shape : SHAPES) {
            for (Layout la : Layout.values()) {
                for (Layout lb : Layout.values()) {
                    Tensor a = random(seed++, la, shape), b = random(seed++, lb, shape);
                    assertClose(Ops.add(a, b), ReferenceOps.add(a, b), 0, 0);
                    Tensor out = Tensor.randn(seed++, 1f, shape);
                    Ops.add(a, b, out);
                    assertClose(out, ReferenceOps.add(a, b), 0, 0);
                    assertClose(Ops.hadamard(a, b), ReferenceOps.hadamard(a, b), 0, 0);
                    assertClose(Ops.scale(a, -0.37f), ReferenceOps.scale(a, -0.37f), 0, 0);
                }
            }
        }
    }

    @Test
    void broadcastingABiasOverRows() {
        long seed = 50;
        for (int[] shape : SHAPES) {
            int d = shape[shape.length - 1];
            Tensor a = random(seed++, Layout.TRANSPOSED, shape), bias = random(seed++, Layout.SLICED, 1, d).reshape(d);
            assertClose(Ops.add(a, bias), ReferenceOps.add(a, bias), 0, 0);
            Tensor acc = a.copy(), accRef = a.copy();
            Ops.mulInto(acc, bias);
            ReferenceOps.mulInto(accRef, bias);
            assertClose(acc, accRef, 0, 0);
        }
        Tensor a = Tensor.randn(1, 1f, 4, 5), s = Tensor.scalar(2f);
        assertClose(Ops.add(a, s), ReferenceOps.add(a, s), 0, 0);
        assertThatThrownBy(() -> Ops.add(a, Tensor.zeros(4))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cannot broadcast");
    }

    @Test
    void inPlaceVariantsWriteIntoTheirTarget() {
        long seed = 80;
        for (int[] shape : SHAPES) {
            Tensor x = random(seed++, Layout.SLICED, shape);
            Tensor y = random(seed++, Layout.CONTIGUOUS, shape), yRef = y.copy();
            Ops.axpy(0.75f, x, y);
            ReferenceOps.axpy(0.75f, x, yRef);
            assertClose(y, yRef, 1.2e-7, 1e-6);

            Tensor acc = y.copy(), accRef = y.copy();
            Ops.addInto(acc, x);
            ReferenceOps.addInto(accRef, x);
            assertClose(acc, accRef, 0, 0);

            Ops.mulInto(acc, x);
            ReferenceOps.mulInto(accRef, x);
            assertClose(acc, accRef, 0, 0);

            Ops.scaleInto(acc, 3f);
            ReferenceOps.scaleInto(accRef, 3f);
            assertClose(acc, accRef, 0, 0);
        }
    }

    @Test
    void inPlaceTargetsMustBeContiguous() {
        Tensor view = Tensor.zeros(4, 6).transpose(0, 1);
        assertThatThrownBy(() -> Ops.addInto(view, Tensor.zeros(6, 4))).hasMessageContaining("contiguous");
        assertThatThrownBy(() -> Ops.scaleInto(view, 2f)).hasMessageContaining("contiguous");
    }

    @Test
    void aContiguousSubRangeIsUpdatedWithoutTouchingItsNeighbours() {
        Tensor whole = Tensor.zeros(3, 8).fill(1f);
        Tensor middle = whole.select(0, 1);
        Ops.scaleInto(middle, 5f);
        Ops.addInto(middle, Tensor.zeros(8).fill(2f));
        assertThat(whole.select(0, 0).toArray()).containsOnly(1f);
        assertThat(whole.select(0, 1).toArray()).containsOnly(7f);
        assertThat(whole.select(0, 2).toArray()).containsOnly(1f);
    }
}
