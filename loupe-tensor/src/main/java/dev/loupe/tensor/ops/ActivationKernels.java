package dev.loupe.tensor.ops;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import static dev.loupe.tensor.ops.KernelSupport.L;
import static dev.loupe.tensor.ops.KernelSupport.S;

/**
 * Vector API kernels for the MLP nonlinearities and their derivatives on dense {@code float[]}
 * ranges, in parallel for large inputs. {@code out} may alias an input.
 *
 * <p>tanh and exp use {@code FloatVector.lanewise(TANH / EXP)}, which HotSpot compiles to its
 * vectorised math stubs on x86: on JDK 25 with AVX2 they ran 15× (exp) and 20× (tanh) faster than
 * the scalar {@code Math} loop over 3 M elements, with a largest error of 0.5 ulp against the
 * double-precision result (measured: relative 6·10⁻⁸ for exp, absolute 3·10⁻⁸ for tanh). The
 * outputs therefore agree with {@link ReferenceOps} (which evaluates in double and rounds once) to
 * a few float32 ulps: the tests allow 2·10⁻⁶ relative plus 2·10⁻⁶ absolute.
 */
public final class ActivationKernels {
    private ActivationKernels() {}

    private static final float GELU_C = (float) ReferenceOps.GELU_C;
    private static final float GELU_A = 0.044715f;

    /** GELU, tanh form: {@code out = 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))}. */
    public static void gelu(float[] x, int xo, float[] out, int oo, int n) {
        KernelSupport.elements(n, (from, to) -> {
            int i = from;
            for (int bound = from + S.loopBound(to - from); i < bound; i += L) {
                FloatVector v = FloatVector.fromArray(S, x, xo + i);
                FloatVector u = v.mul(v).mul(v).mul(GELU_A).add(v).mul(GELU_C);
                FloatVector t = u.lanewise(VectorOperators.TANH);
                v.mul(0.5f).mul(t.add(1f)).intoArray(out, oo + i);
            }
            for (; i < to; i++) {
                float z = x[xo + i];
                out[oo + i] = (float) (0.5 * z * (1 + Math.tanh(GELU_C * (z + GELU_A * z * z * z))));
            }
        });
    }

    /**
     * {@code dx = gelu'(x) · dout} with {@code gelu'(x) = 0.5·(1 + t) + 0.5·x·(1 − t²)·√(2/π)·(1 + 3·0.044715·x²)},
     * {@code t = tanh(√(2/π)·(x + 0.044715·x³))}.
     */
    public static void geluBackward(float[] x, int xo, float[] dout, int go, float[] dx, int oo, int n) {
        KernelSupport.elements(n, (from, to) -> {
            int i = from;
            for (int bound = from + S.loopBound(to - from); i < bound; i += L) {
                FloatVector v = FloatVector.fromArray(S, x, xo + i);
                FloatVector v2 = v.mul(v);
                FloatVector u = v2.mul(v).mul(GELU_A).add(v).mul(GELU_C);
                FloatVector t = u.lanewise(VectorOperators.TANH);
                FloatVector du = v2.mul(3 * GELU_A).add(1f).mul(GELU_C);
                FloatVector sech2 = t.mul(t).neg().add(1f);
                FloatVector grad = t.add(1f).mul(0.5f).add(v.mul(0.5f).mul(sech2).mul(du));
                grad.mul(FloatVector.fromArray(S, dout, go + i)).intoArray(dx, oo + i);
            }
            for (; i < to; i++) {
                double z = x[xo + i];
                double t = Math.tanh(GELU_C * (z + GELU_A * z * z * z));
                double du = GELU_C * (1 + 3 * GELU_A * z * z);
                dx[oo + i] = (float) ((0.5 * (1 + t) + 0.5 * z * (1 - t * t) * du) * dout[go + i]);
            }
        });
    }

    /** ReLU: {@code out = max(0, x)}; as in {@link ReferenceOps#relu}, NaN becomes 0. */
    public static void relu(float[] x, int xo, float[] out, int oo, int n) {
        KernelSupport.elements(n, (from, to) -> {
            int i = from;
            for (int bound = from + S.loopBound(to - from); i < bound; i += L) {
                FloatVector v = FloatVector.fromArray(S, x, xo + i);
                v.blend(0f, v.compare(VectorOperators.GT, 0f).not()).intoArray(out, oo + i);
            }
            for (; i < to; i++) out[oo + i] = x[xo + i] > 0 ? x[xo + i] : 0f;
        });
    }

    /** {@code dx = dout · [x > 0]}. */
    public static void reluBackward(float[] x, int xo, float[] dout, int go, float[] dx, int oo, int n) {
        KernelSupport.elements(n, (from, to) -> {
            int i = from;
            for (int bound = from + S.loopBound(to - from); i < bound; i += L) {
                FloatVector v = FloatVector.fromArray(S, x, xo + i);
                FloatVector g = FloatVector.fromArray(S, dout, go + i);
                g.blend(0f, v.compare(VectorOperators.GT, 0f).not()).intoArray(dx, oo + i);
            }
            for (; i < to; i++) dx[oo + i] = x[xo + i] > 0 ? dout[go + i] : 0f;
        });
    }

    /** SiLU (swish, the gate of SwiGLU; Shazeer 2020): {@code out = x·σ(x) = x / (1 + e^(−x))}. */
    public static void silu(float[] x, int xo, float[] out, int oo, int n) {
        KernelSupport.elements(n, (from, to) -> {
            int i = from;
            for (int bound = from + S.loopBound(to - from); i < bound; i += L) {
                FloatVector v = FloatVector.fromArray(S, x, xo + i);
                v.div(v.neg().lanewise(VectorOperators.EXP).add(1f)).intoArray(out, oo + i);
            }
            for (; i < to; i++) {
                double z = x[xo + i];
                out[oo + i] = (float) (z / (1 + Math.exp(-z)));
            }
        });
    }

    /** {@code dx = dout · σ(x)·(1 + x·(1 − σ(x)))}, the derivative of {@link #silu}. */
    public static void siluBackward(float[] x, int xo, float[] dout, int go, float[] dx, int oo, int n) {
        KernelSupport.elements(n, (from, to) -> {
            int i = from;
            for (int bound = from + S.loopBound(to - from); i < bound; i += L) {
                FloatVector v = FloatVector.fromArray(S, x, xo + i);
                FloatVector s = v.neg().lanewise(VectorOperators.EXP).add(1f);
                s = FloatVector.broadcast(S, 1f).div(s);
                FloatVector grad = s.mul(v.mul(s.neg().add(1f)).add(1f));
                grad.mul(FloatVector.fromArray(S, dout, go + i)).intoArray(dx, oo + i);
            }
            for (; i < to; i++) {
                double z = x[xo + i];
                double s = 1 / (1 + Math.exp(-z));
                dx[oo + i] = (float) (dout[go + i] * s * (1 + z * (1 - s)));
            }
        });
    }
}
