package dev.loupe.tensor.ops;

import dev.loupe.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static dev.loupe.tensor.ops.OpsTesting.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * LayerNorm forward and backward against {@link ReferenceOps}, the accumulating (+=) contract, and a
 * gradient check of dx, dγ, dβ against float64 central differences of the reference forward.
 *
 * <p>Tolerance: the row mean and variance are accumulated in float lanes (≤ 1000 terms), which moves
 * x̂ by a few ulps; outputs of size ~3 therefore agree to 1e-5 relative plus 2e-6 absolute, and the
 * backward sums (over rows for dγ, dβ) to 1e-4 relative plus 1e-5 absolute.
 */
class LayerNormOpsTest {

    @Test
    void forwardMatchesReference() {
        long seed = 1;
        for (int[] shape : SHAPES) {
            for (Layout layout : Layout.values()) {
                int d = shape[shape.length - 1];
                Tensor x = random(seed++, layout, shape);
                Tensor gamma = random(seed++, Layout.SLICED, 1, d).reshape(d), beta = Tensor.randn(seed++, 0.5f, d);
                int rows = x.size() / d;
                Tensor mean = Tensor.zeros(rows), rstd = Tensor.zeros(rows), meanRef = Tensor.zeros(rows), rstdRef = Tensor.zeros(rows);
                Tensor y = Ops.layerNorm(x, gamma, beta, 1e-5f, mean, rstd);
                Tensor yRef = ReferenceOps.layerNorm(x, gamma, beta, 1e-5f, meanRef, rstdRef);
                assertClose(y, yRef, 1e-5, 2e-6);
                assertClose(mean, meanRef, 1e-5, 1e-6);
                assertClose(rstd, rstdRef, 1e-5, 1e-6);
                assertThat(Ops.layerNorm(x, gamma, beta, 1e-5f, null, null).toArray()).containsExactly(y.toArray());
                Tensor into = Tensor.randn(seed++, 1f, shape); // stale values must be overwritten
                Ops.layerNormInto(x, gamma, beta, 1e-5f, into, null, null);
                assertThat(into.toArray()).containsExactly(y.toArray());
            }
        }
    }

    @Test
    void backwardMatchesReference() {
        long seed = 100;
        for (int[] shape : SHAPES) {
            for (Layout layout : Layout.values()) {
                int d = shape[shape.length - 1];
                Tensor x = random(seed++, layout, shape), dout = random(seed++, Layout.CONTIGUOUS, shape);
                Tensor gamma = Tensor.randn(seed++, 1f, d), beta = Tensor.zeros(d);
                int rows = x.size() / d;
                Tensor mean = Tensor.zeros(rows), rstd = Tensor.zeros(rows);
                ReferenceOps.layerNorm(x, gamma, beta, 1e-5f, mean, rstd);
                Tensor dx = Tensor.randn(seed++, 1f, shape), dg = Tensor.randn(seed++, 1f, d), db = Tensor.randn(seed++, 1f, d);
                Tensor dxRef = dx.copy(), dgRef = dg.copy(), dbRef = db.copy();
                Ops.layerNormBackward(dout, x, mean, rstd, gamma, dx, dg, db);
                ReferenceOps.layerNormBackward(dout, x, mean, rstd, gamma, dxRef, dgRef, dbRef);
                assertClose(dx, dxRef, 1e-4, 1e-5);
                assertClose(dg, dgRef, 1e-4, 1e-5);
                assertClose(db, dbRef, 1e-4, 1e-5);
            }
        }
    }

    @Test
    void backwardAccumulates() {
        Tensor x = Tensor.randn(1, 1f, 9, 33), dout = Tensor.randn(2, 1f, 9, 33), gamma = Tensor.randn(3, 1f, 33);
        Tensor mean = Tensor.zeros(9), rstd = Tensor.zeros(9);
        Ops.layerNorm(x, gamma, Tensor.zeros(33), 1e-5f, mean, rstd);
        Tensor dx1 = Tensor.zeros(9, 33), dg1 = Tensor.zeros(33), db1 = Tensor.zeros(33);
        Ops.layerNormBackward(dout, x, mean, rstd, gamma, dx1, dg1, db1);
        Tensor dx2 = dx1.copy(), dg2 = dg1.copy(), db2 = db1.copy();
        Ops.layerNormBackward(dout, x, mean, rstd, gamma, dx2, dg2, db2);
        assertClose(dx2, ReferenceOps.scale(dx1, 2f), 1e-6, 1e-7);
        assertClose(dg2, ReferenceOps.scale(dg1, 2f), 1e-6, 1e-7);
        assertClose(db2, ReferenceOps.scale(db1, 2f), 1e-6, 1e-7);
        assertThat(Ops.maxAbs(dx1)).isPositive();
    }

    @Test
    void gradientsMatchCentralDifferencesOfTheReferenceForward() {
        int rows = 3, d = 37; // 37 = 2·16 + 5: vector lanes (8 or 16 wide) and a scalar tail
        Tensor x = Tensor.randn(5, 1f, rows, d), gamma = Tensor.randn(6, 1f, d), beta = Tensor.randn(7, 1f, d);
        Tensor w = Tensor.randn(8, 1f, rows, d);
        Tensor mean = Tensor.zeros(rows), rstd = Tensor.zeros(rows);
        Ops.layerNorm(x, gamma, beta, 1e-5f, mean, rstd);
        Tensor dx = Tensor.zeros(rows, d), dg = Tensor.zeros(d), db = Tensor.zeros(d);
        Ops.layerNormBackward(w, x, mean, rstd, gamma, dx, dg, db);

        float[] ndx = numericalGradient(x, weighted(t -> ReferenceOps.layerNorm(t, gamma, beta, 1e-5f, null, null), w), 1e-2);
        float[] ndg = numericalGradient(gamma, weighted(g -> ReferenceOps.layerNorm(x, g, beta, 1e-5f, null, null), w), 1e-2);
        float[] ndb = numericalGradient(beta, weighted(b -> ReferenceOps.layerNorm(x, gamma, b, 1e-5f, null, null), w), 1e-2);
        assertClose(dx.toArray(), ndx, 2e-3, 2e-3, "dx");
        assertClose(dg.toArray(), ndg, 1e-3, 1e-3, "dgamma");
        assertClose(db.toArray(), ndb, 1e-3, 1e-3, "dbeta");
    }

    @Test
    void constantRowsNormaliseToBeta() {
        Tensor x = Tensor.zeros(3, 40).fill(7f), gamma = Tensor.randn(1, 1f, 40), beta = Tensor.randn(2, 1f, 40);
        Tensor y = Ops.layerNorm(x, gamma, beta, 1e-5f, null, null);
        for (int r = 0; r < 3; r++) assertClose(y.select(0, r), beta, 0, 1e-6);
    }

    @Test
    void wrongParameterShapesAreRejected() {
        assertThatThrownBy(() -> Ops.layerNorm(Tensor.zeros(2, 8), Tensor.zeros(7), Tensor.zeros(8), 1e-5f, null, null))
                .hasMessageContaining("expected 8 values");
        assertThatThrownBy(() -> Ops.layerNorm(Tensor.zeros(2, 8), Tensor.zeros(8), Tensor.zeros(8), 1e-5f, Tensor.zeros(3), null))
                .hasMessageContaining("expected 2 values");
    }
}
