package dev.loupe.tensor.ops;

import jdk.incubator.vector.FloatVector;

import static dev.loupe.tensor.ops.KernelSupport.L;
import static dev.loupe.tensor.ops.KernelSupport.S;

/**
 * Vector API kernels for elementwise arithmetic on dense {@code float[]} ranges: each method works on
 * {@code n} consecutive elements from the given offsets, in parallel for large {@code n}. Results are
 * exactly those of the scalar loop (one rounding per operation, no reassociation), so they match
 * {@link ReferenceOps} bit for bit, except {@link #axpy}, which may fuse the multiply-add.
 *
 * <p>"Row-broadcast" variants treat the destination as rows of {@code width} elements and apply the
 * same {@code b[0 .. width)} to every row, as a bias [d] added to activations [T, d].
 */
public final class ElementwiseKernels {
    private ElementwiseKernels() {}

    /** {@code out[i] = a[i] + b[i]} for i in [0, n). {@code out} may alias {@code a} or {@code b}. */
    public static void add(float[] a, int ao, float[] b, int bo, float[] out, int oo, int n) {
        KernelSupport.elements(n, (from, to) -> {
            int i = from;
            for (int bound = from + S.loopBound(to - from); i < bound; i += L) {
                FloatVector.fromArray(S, a, ao + i).add(FloatVector.fromArray(S, b, bo + i)).intoArray(out, oo + i);
            }
            for (; i < to; i++) out[oo + i] = a[ao + i] + b[bo + i];
        });
    }

    /** {@code out[r, j] = a[r, j] + b[j]} for {@code rows} rows of {@code width}; {@code out} may alias {@code a}. */
    public static void addRowBroadcast(float[] a, int ao, float[] b, int bo, float[] out, int oo, int rows, int width) {
        KernelSupport.rows(rows, width, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int ar = ao + r * width, or = oo + r * width;
                int j = 0;
                for (int bound = S.loopBound(width); j < bound; j += L) {
                    FloatVector.fromArray(S, a, ar + j).add(FloatVector.fromArray(S, b, bo + j)).intoArray(out, or + j);
                }
                for (; j < width; j++) out[or + j] = a[ar + j] + b[bo + j];
            }
        });
    }

    /** {@code out[i] = a[i] · b[i]} for i in [0, n). {@code out} may alias {@code a} or {@code b}. */
    public static void mul(float[] a, int ao, float[] b, int bo, float[] out, int oo, int n) {
        KernelSupport.elements(n, (from, to) -> {
            int i = from;
            for (int bound = from + S.loopBound(to - from); i < bound; i += L) {
                FloatVector.fromArray(S, a, ao + i).mul(FloatVector.fromArray(S, b, bo + i)).intoArray(out, oo + i);
            }
            for (; i < to; i++) out[oo + i] = a[ao + i] * b[bo + i];
        });
    }

    /** {@code out[r, j] = a[r, j] · b[j]} for {@code rows} rows of {@code width}; {@code out} may alias {@code a}. */
    public static void mulRowBroadcast(float[] a, int ao, float[] b, int bo, float[] out, int oo, int rows, int width) {
        KernelSupport.rows(rows, width, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int ar = ao + r * width, or = oo + r * width;
                int j = 0;
                for (int bound = S.loopBound(width); j < bound; j += L) {
                    FloatVector.fromArray(S, a, ar + j).mul(FloatVector.fromArray(S, b, bo + j)).intoArray(out, or + j);
                }
                for (; j < width; j++) out[or + j] = a[ar + j] * b[bo + j];
            }
        });
    }

    /** {@code out[i] = s · a[i]} for i in [0, n). {@code out} may alias {@code a}. */
    public static void scale(float[] a, int ao, float s, float[] out, int oo, int n) {
        KernelSupport.elements(n, (from, to) -> {
            int i = from;
            for (int bound = from + S.loopBound(to - from); i < bound; i += L) {
                FloatVector.fromArray(S, a, ao + i).mul(s).intoArray(out, oo + i);
            }
            for (; i < to; i++) out[oo + i] = a[ao + i] * s;
        });
    }

    /** {@code y[i] += alpha · x[i]} for i in [0, n) (fused multiply-add: one rounding instead of two). */
    public static void axpy(float alpha, float[] x, int xo, float[] y, int yo, int n) {
        KernelSupport.elements(n, (from, to) -> {
            FloatVector va = FloatVector.broadcast(S, alpha);
            int i = from;
            for (int bound = from + S.loopBound(to - from); i < bound; i += L) {
                FloatVector.fromArray(S, x, xo + i).fma(va, FloatVector.fromArray(S, y, yo + i)).intoArray(y, yo + i);
            }
            for (; i < to; i++) y[yo + i] = Math.fma(alpha, x[xo + i], y[yo + i]);
        });
    }
}
