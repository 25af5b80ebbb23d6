package dev.loupe.tensor.ops;

import dev.loupe.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static dev.loupe.tensor.ops.OpsTesting.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * Softmax (any axis, and the in-place causal form for attention) and the softmax cross-entropy loss,
 * against {@link ReferenceOps} and float64 central differences.
 *
 * <p>Tolerance: exp is within 0.5 ulp, and a row's sum is accumulated in float lanes over at most
 * 1000 terms here, so probabilities agree to 1e-5 relative (plus 1e-7 absolute for the tiny ones).
 */
class SoftmaxOpsTest {
    private static final double REL = 1e-5, ABS = 1e-7;

    @Test
    void softmaxMatchesReferenceOnEveryAxisAndLayout() {
        long seed = 1;
        for (int[] shape : SHAPES) {
            for (Layout layout : Layout.values()) {
                Tensor x = random(seed++, layout, shape);
                for (int axis = -1; axis < shape.length; axis++) {
                    assertClose(Ops.softmax(x, axis), ReferenceOps.softmax(x, axis), REL, ABS);
                    Tensor y = ReferenceOps.softmax(x, axis), dy = random(seed++, Layout.CONTIGUOUS, shape);
                    assertClose(Ops.softmaxBackward(y, dy, axis), ReferenceOps.softmaxBackward(y, dy, axis), 1e-4, 1e-6);
                }
            }
        }
    }

    @Test
    void rowsSumToOneEvenForLargeLogits() {
        Tensor x = Tensor.randn(5, 1000f, 33, 1000); // logits in the thousands: exp would overflow without the max shift
        Tensor y = Ops.softmax(x, -1);
        assertThat(Ops.isFinite(y)).isTrue();
        Tensor sums = ReferenceOps.sum(y, -1);
        for (float s : sums.toArray()) assertThat((double) s).isCloseTo(1.0, within(1e-5));
        assertClose(y, ReferenceOps.softmax(x, -1), REL, ABS);
    }

    @Test
    void minusInfinityMasksGiveZeroAndFullyMaskedRowsGiveZeros() {
        float ninf = Float.NEGATIVE_INFINITY;
        Tensor x = Tensor.of(new float[] {
                0, ninf, 1, ninf, 2, 0, 0, 0, 0, 3,
                ninf, ninf, ninf, ninf, ninf, ninf, ninf, ninf, ninf, ninf}, 2, 10);
        Tensor y = Ops.softmax(x, -1);
        assertClose(y, ReferenceOps.softmax(x, -1), REL, ABS);
        assertThat(y.get(0, 1)).isZero();
        assertThat(y.get(0, 3)).isZero();
        assertThat(Ops.sum(y.select(0, 0))).isCloseTo(1.0, within(1e-6));
        assertThat(y.select(0, 1).toArray()).containsOnly(0f);
    }

    @Test
    void backwardMatchesCentralDifferencesOfTheReferenceForward() {
        Tensor x = Tensor.randn(7, 1f, 3, 37), w = Tensor.randn(8, 1f, 3, 37); // 37: vector lanes and a tail
        for (int axis : new int[] {0, 1}) {
            float[] numeric = numericalGradient(x, weighted(t -> ReferenceOps.softmax(t, axis), w), 1e-2);
            Tensor y = ReferenceOps.softmax(x, axis);
            assertClose(Ops.softmaxBackward(y, w, axis).toArray(), numeric, 1e-3, 1e-4, "softmax gradient, axis " + axis);
        }
    }

    @Test
    void causalSoftmaxInPlaceMatchesReference() {
        long seed = 30;
        int[][] shapes = {{1, 1}, {7, 7}, {33, 33}, {4, 3, 33, 33}, {2, 64, 64}, {3, 12, 100}, {1, 1000}};
        for (int[] shape : shapes) {
            int t = shape.length >= 2 ? shape[shape.length - 2] : 1, s = shape[shape.length - 1];
            for (int offset : new int[] {0, s - t, -2, 5}) {
                for (boolean causal : new boolean[] {true, false}) {
                    Tensor x = Tensor.randn(seed++, 3f, shape), ref = x.copy();
                    Ops.softmaxRowsInPlace(x, causal, offset);
                    ReferenceOps.softmaxRowsInPlace(ref, causal, offset);
                    assertClose(x, ref, REL, ABS);
                }
            }
        }
    }

    @Test
    void causalSoftmaxOnARowDenseViewLeavesTheRestOfTheBufferAlone() {
        // A [T, S] slice of a pattern buffer sized for 40 keys, as attention uses with a KV cache.
        for (int[] ts : new int[][] {{1, 9}, {5, 9}, {33, 33}, {7, 37}}) {
            int t = ts[0], s = ts[1];
            Tensor buffer = Tensor.randn(ts[0] * 100L + s, 3f, t, 40), before = buffer.copy();
            Tensor view = buffer.slice(1, 0, s), ref = view.contiguous();
            Ops.softmaxRowsInPlace(view, true, s - t);
            ReferenceOps.softmaxRowsInPlace(ref, true, s - t);
            assertClose(view.contiguous(), ref, REL, ABS);
            assertThat(buffer.slice(1, s, 40).toArray()).containsExactly(before.slice(1, s, 40).toArray());
        }
    }

    @Test
    void softmaxBackwardInPlaceMatchesReference() {
        long seed = 70;
        for (int[] shape : new int[][] {{1, 1}, {7, 7}, {33, 33}, {3, 64, 64}, {3, 1000}}) {
            Tensor y = Tensor.randn(seed++, 3f, shape);
            Ops.softmaxRowsInPlace(y, true, 0);
            Tensor dy = Tensor.randn(seed++, 1f, shape);
            Tensor expected = ReferenceOps.softmaxBackward(y, dy, -1);
            Ops.softmaxBackwardRowsInPlace(y, dy);
            assertClose(dy, expected, 1e-5, 1e-6);
        }
    }

    @Test
    void causalMaskZeroesTheFutureAndRowsStillSumToOne() {
        int t = 33;
        Tensor scores = Tensor.randn(3, 4f, 2, t, t);
        Ops.softmaxRowsInPlace(scores, true, 0);
        for (int b = 0; b < 2; b++) {
            for (int i = 0; i < t; i++) {
                double sum = 0;
                for (int j = 0; j < t; j++) {
                    float p = scores.get(b, i, j);
                    if (j > i) assertThat(p).isZero();
                    else assertThat(p).isPositive();
                    sum += p;
                }
                assertThat(sum).isCloseTo(1.0, within(1e-5));
            }
        }
        // The same as softmax over the visible prefix.
        Tensor x = Tensor.randn(4, 2f, 5, 9);
        Tensor masked = x.copy();
        Ops.softmaxRowsInPlace(masked, true, 4); // a KV cache of 9 keys, 5 new queries
        for (int i = 0; i < 5; i++) {
            Tensor prefix = Ops.softmax(x.select(0, i).slice(0, 0, i + 5), -1);
            assertClose(masked.select(0, i).slice(0, 0, i + 5), prefix, 0, 0);
        }
        assertThatThrownBy(() -> Ops.softmaxRowsInPlace(Tensor.zeros(4, 4).transpose(0, 1), true, 0))
                .hasMessageContaining("contiguous");
    }

    @Test
    void crossEntropyMatchesReference() {
        long seed = 50;
        for (int[] shape : new int[][] {{1, 1}, {1, 7}, {7, 33}, {33, 1000}, {2, 3, 7}, {64, 5000}}) {
            for (Layout layout : Layout.values()) {
                Tensor logits = random(seed++, layout, shape);
                int v = shape[shape.length - 1], n = logits.size() / v;
                int[] targets = targets(seed++, n, v);
                Tensor p = Tensor.zeros(shape), pRef = Tensor.zeros(shape);
                float[] rows = new float[n], rowsRef = new float[n];
                double loss = Ops.crossEntropy(logits, targets, p, rows);
                double lossRef = ReferenceOps.crossEntropy(logits, targets, pRef, rowsRef);
                assertThat(loss).isCloseTo(lossRef, within(1e-5 * Math.max(1, lossRef)));
                assertClose(rows, rowsRef, 1e-5, 1e-5, "row losses");
                assertClose(p, pRef, REL, ABS);
                float[] lossOnly = new float[n];
                assertThat(Ops.crossEntropy(logits, targets, null, lossOnly)).isEqualTo(loss);
                assertThat(lossOnly).containsExactly(rows);

                Tensor g = Tensor.randn(seed++, 1f, shape), gRef = g.copy();
                Ops.crossEntropyBackward(p, targets, 0.5f, g);
                ReferenceOps.crossEntropyBackward(pRef, targets, 0.5f, gRef);
                assertClose(g, gRef, 1e-5, 1e-7);
            }
        }
    }

    @Test
    void crossEntropyInPlaceKeepsOnlyOneBuffer() {
        Tensor logits = Tensor.randn(3, 2f, 16, 300);
        int[] targets = targets(4, 16, 300);
        Tensor pRef = Tensor.zeros(16, 300);
        double lossRef = ReferenceOps.crossEntropy(logits, targets, pRef, null);
        Tensor buffer = logits.copy();
        double loss = Ops.crossEntropy(buffer, targets, buffer);
        assertThat(loss).isCloseTo(lossRef, within(1e-5));
        assertClose(buffer, pRef, REL, ABS);

        Tensor gRef = Tensor.zeros(16, 300);
        ReferenceOps.crossEntropyBackward(pRef, targets, 2f, gRef);
        Ops.crossEntropyBackwardInPlace(buffer, targets, 2f);
        assertClose(buffer, gRef, 1e-5, 1e-8);
        // Each row of the gradient sums to 0: the probabilities sum to 1, minus the one-hot.
        for (float s : ReferenceOps.sum(buffer, -1).toArray()) assertThat((double) s).isCloseTo(0, within(1e-6));
    }

    /** The one-pass loss head gives exactly the bits of the two passes it replaces (widths with and without a vector tail). */
    @Test
    void fusedLossAndGradientEqualTheTwoPassesBitForBit() {
        for (int v : new int[] {7, 300, 50257}) {
            Tensor logits = Tensor.randn(v, 3f, 9, v);
            int[] targets = targets(v + 1, 9, v);
            Tensor twoPass = logits.copy(), fused = logits.copy();
            double loss = Ops.crossEntropy(twoPass, targets, twoPass);
            Ops.crossEntropyBackwardInPlace(twoPass, targets, 1.5f);
            assertThat(Ops.crossEntropyWithGradientInPlace(fused, targets, 1.5f)).isEqualTo(loss);
            assertThat(fused.toArray()).isEqualTo(twoPass.toArray());
        }
    }

    @Test
    void crossEntropyGradientMatchesCentralDifferences() {
        Tensor logits = Tensor.randn(11, 1.5f, 3, 37);
        int[] targets = targets(12, 3, 37);
        float[] numeric = numericalGradient(logits, z -> ReferenceOps.crossEntropy(z, targets, Tensor.zeros(3, 37), null), 1e-2);
        Tensor p = Tensor.zeros(3, 37), g = Tensor.zeros(3, 37);
        Ops.crossEntropy(logits, targets, p);
        Ops.crossEntropyBackward(p, targets, 1f, g);
        assertClose(g.toArray(), numeric, 1e-3, 1e-4, "cross-entropy gradient");
    }

    @Test
    void crossEntropyOfLargeLogitsIsFiniteAndUniformLogitsGiveLogV() {
        Tensor big = Tensor.randn(2, 1e4f, 4, 50);
        int[] t = targets(3, 4, 50);
        Tensor p = Tensor.zeros(4, 50);
        double loss = Ops.crossEntropy(big, t, p);
        assertThat(loss).isFinite();
        assertThat(loss).isCloseTo(ReferenceOps.crossEntropy(big, t, Tensor.zeros(4, 50), null), within(1e-3 * loss));
        double uniform = Ops.crossEntropy(Tensor.zeros(3, 1000), new int[] {0, 500, 999}, Tensor.zeros(3, 1000));
        assertThat(uniform).isCloseTo(Math.log(1000), within(1e-6));
    }

    @Test
    void crossEntropyRejectsBadTargets() {
        assertThatThrownBy(() -> Ops.crossEntropy(Tensor.zeros(2, 5), new int[] {0, 5}, Tensor.zeros(2, 5)))
                .isInstanceOf(IndexOutOfBoundsException.class).hasMessageContaining("target 5 at row 1");
        assertThatThrownBy(() -> Ops.crossEntropy(Tensor.zeros(2, 5), new int[] {0}, Tensor.zeros(2, 5)))
                .hasMessageContaining("2 rows").hasMessageContaining("1 targets");
    }

    private static int[] targets(long seed, int n, int v) {
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = r.nextInt(v);
        return t;
    }
}
