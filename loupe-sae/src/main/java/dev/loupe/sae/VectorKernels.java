package dev.loupe.sae;

import dev.loupe.tensor.LaneSum;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The two inner loops of the sparse SAE kernels, on d_in-long rows, with the Vector API: a dot
 * product (the JIT does not vectorise a float reduction by itself, since that reorders the sum) and
 * an axpy. Sums run lane-wise then across lanes in lane order ({@link LaneSum}), so results do not
 * depend on whether the code has been compiled yet.
 */
final class VectorKernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private VectorKernels() {}

    /** Σ_i a[ao + i]·b[bo + i], i &lt; n. */
    static float dot(float[] a, int ao, float[] b, int bo, int n) {
        int i = 0, upper = S.loopBound(n);
        FloatVector acc = FloatVector.zero(S);
        for (; i < upper; i += S.length()) {
            acc = FloatVector.fromArray(S, a, ao + i).fma(FloatVector.fromArray(S, b, bo + i), acc);
        }
        float s = LaneSum.of(acc);
        for (; i < n; i++) s += a[ao + i] * b[bo + i];
        return s;
    }

    /** y[yo + i] += alpha·x[xo + i], i &lt; n. */
    static void axpy(float alpha, float[] x, int xo, float[] y, int yo, int n) {
        int i = 0, upper = S.loopBound(n);
        FloatVector va = FloatVector.broadcast(S, alpha);
        for (; i < upper; i += S.length()) {
            FloatVector.fromArray(S, x, xo + i).fma(va, FloatVector.fromArray(S, y, yo + i)).intoArray(y, yo + i);
        }
        for (; i < n; i++) y[yo + i] += alpha * x[xo + i];
    }

    /** x[xo + i] *= alpha, i &lt; n. */
    static void scale(float alpha, float[] x, int xo, int n) {
        int i = 0, upper = S.loopBound(n);
        for (; i < upper; i += S.length()) FloatVector.fromArray(S, x, xo + i).mul(alpha).intoArray(x, xo + i);
        for (; i < n; i++) x[xo + i] *= alpha;
    }
}
