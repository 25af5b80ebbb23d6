package dev.loupe.tensor.ops;

import dev.loupe.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.function.BiFunction;
import java.util.function.Function;

import static dev.loupe.tensor.ops.OpsTesting.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * GELU, ReLU, SiLU and SwiGLU kernels against {@link ReferenceOps}, and their backward passes against float64
 * central differences of the reference forward.
 *
 * <p>Tolerance: the vectorised tanh/exp are within 0.5 ulp of the true value, but the kernels
 * evaluate the polynomial in float32 (the reference in double), so a few ulps: 1e-5 relative plus
 * 1e-6 absolute (the absolute part covers the cancellation in 1 + tanh(u) for very negative x).
 */
class ActivationOpsTest {
    private static final double REL = 1e-5, ABS = 1e-6;

    @Test
    void forwardMatchesReferenceOnAllShapesAndLayouts() {
        check(Ops::gelu, ReferenceOps::gelu);
        check(Ops::relu, ReferenceOps::relu);
        check(Ops::silu, ReferenceOps::silu);
    }

    @Test
    void backwardMatchesReference() {
        checkBackward(Ops::geluBackward, ReferenceOps::geluBackward);
        checkBackward(Ops::reluBackward, ReferenceOps::reluBackward);
        checkBackward(Ops::siluBackward, ReferenceOps::siluBackward);
    }

    @Test
    void backwardMatchesCentralDifferencesOfTheReferenceForward() {
        Tensor x = Tensor.randn(3, 2f, 7, 33);
        Tensor w = Tensor.randn(4, 1f, 7, 33);
        gradientCheck(x, w, ReferenceOps::gelu, Ops::geluBackward);
        gradientCheck(x, w, ReferenceOps::silu, Ops::siluBackward);
        // ReLU: keep the points away from the kink at 0, where the difference quotient is meaningless.
        Tensor away = x.copy();
        float[] a = away.data();
        for (int i = 0; i < a.length; i++) if (Math.abs(a[i]) < 0.05f) a[i] = 0.5f;
        gradientCheck(away, w, ReferenceOps::relu, Ops::reluBackward);
    }

    @Test
    void swigluMatchesReferenceForwardAndBackward() {
        long seed = 200;
        for (int[] shape : SHAPES) {
            int[] gated = shape.clone();
            gated[gated.length - 1] *= 2;
            for (Layout layout : Layout.values()) {
                Tensor x = random(seed++, layout, gated), g = random(seed++, Layout.CONTIGUOUS, shape);
                assertClose(Ops.swiglu(x), ReferenceOps.swiglu(x), REL, ABS);
                assertClose(Ops.swigluBackward(x, g), ReferenceOps.swigluBackward(x, g), REL, ABS);
            }
        }
        assertThatThrownBy(() -> Ops.swigluInto(Tensor.zeros(2, 6), Tensor.zeros(2, 4)))
                .hasMessageContaining("[2, 6]").hasMessageContaining("[2, 4]");
    }

    @Test
    void swigluBackwardMatchesCentralDifferencesOfTheReferenceForward() {
        Tensor x = Tensor.randn(5, 2f, 3, 2 * 37), w = Tensor.randn(6, 1f, 3, 37); // 37: vector lanes and a tail
        gradientCheck(x, w, ReferenceOps::swiglu, Ops::swigluBackward);
    }

    @Test
    void intoVariantsOverwriteTheirPreallocatedOutput() {
        Tensor x = random(7, Layout.TRANSPOSED, 33, 7), g = Tensor.randn(8, 1f, 33, 7);
        Tensor out = Tensor.randn(9, 1f, 33, 7); // stale values that must not leak into the result
        Ops.geluInto(x, out);
        assertThat(out.toArray()).containsExactly(Ops.gelu(x).toArray());
        Ops.geluBackwardInto(x, g, out);
        assertThat(out.toArray()).containsExactly(Ops.geluBackward(x, g).toArray());
        Ops.reluInto(x, out);
        assertThat(out.toArray()).containsExactly(Ops.relu(x).toArray());
        Ops.reluBackwardInto(x, g, out);
        assertThat(out.toArray()).containsExactly(Ops.reluBackward(x, g).toArray());
        Tensor gated = Tensor.randn(10, 1f, 33, 14), dGated = Tensor.randn(11, 1f, 33, 14);
        Ops.swigluInto(gated, out);
        assertThat(out.toArray()).containsExactly(Ops.swiglu(gated).toArray());
        Ops.swigluBackwardInto(gated, g, dGated);
        assertThat(dGated.toArray()).containsExactly(Ops.swigluBackward(gated, g).toArray());
        assertThatThrownBy(() -> Ops.geluInto(x, Tensor.zeros(7, 33).transpose(0, 1))).hasMessageContaining("contiguous");
    }

    @Test
    void extremeInputsStayFinite() {
        Tensor x = Tensor.of(new float[] {-1e4f, -100f, -20f, 0f, 20f, 100f, 1e4f, -0f, 3f}, 9);
        for (Function<Tensor, Tensor> f : java.util.List.<Function<Tensor, Tensor>>of(Ops::gelu, Ops::silu, Ops::relu)) {
            assertThat(Ops.isFinite(f.apply(x))).isTrue();
        }
        assertClose(Ops.gelu(x), ReferenceOps.gelu(x), REL, ABS);
        assertClose(Ops.silu(x), ReferenceOps.silu(x), REL, ABS);
        Tensor ones = Tensor.zeros(9).fill(1f);
        assertClose(Ops.geluBackward(x, ones), ReferenceOps.geluBackward(x, ones), REL, ABS);
        assertClose(Ops.siluBackward(x, ones), ReferenceOps.siluBackward(x, ones), REL, ABS);
    }

    @Test
    void reluOfNanIsZeroAsInTheReference() {
        Tensor x = Tensor.of(new float[] {Float.NaN, -1f, 2f, Float.NaN, 0f, 1f, -3f, 5f, Float.NaN}, 9);
        assertThat(Ops.relu(x).toArray()).containsExactly(ReferenceOps.relu(x).toArray());
    }

    private static void check(Function<Tensor, Tensor> fast, Function<Tensor, Tensor> ref) {
        long seed = 10;
        for (int[] shape : SHAPES) {
            for (Layout layout : Layout.values()) {
                Tensor x = random(seed++, layout, shape);
                assertClose(fast.apply(x), ref.apply(x), REL, ABS);
            }
        }
    }

    private static void checkBackward(BiFunction<Tensor, Tensor, Tensor> fast, BiFunction<Tensor, Tensor, Tensor> ref) {
        long seed = 100;
        for (int[] shape : SHAPES) {
            for (Layout layout : Layout.values()) {
                Tensor x = random(seed++, layout, shape), g = random(seed++, Layout.CONTIGUOUS, shape);
                assertClose(fast.apply(x, g), ref.apply(x, g), REL, ABS);
            }
        }
    }

    private static void gradientCheck(Tensor x, Tensor w, Function<Tensor, Tensor> forward,
                                      BiFunction<Tensor, Tensor, Tensor> backward) {
        float[] numeric = numericalGradient(x, weighted(forward, w), 1e-2);
        assertClose(backward.apply(x, w).toArray(), numeric, 1e-3, 1e-3, "gradient");
    }
}
