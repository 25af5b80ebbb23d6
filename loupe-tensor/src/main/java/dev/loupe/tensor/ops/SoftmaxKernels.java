package dev.loupe.tensor.ops;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import static dev.loupe.tensor.ops.KernelSupport.L;
import static dev.loupe.tensor.ops.KernelSupport.S;

/**
 * Vector API kernels for row-wise softmax, its backward, and the softmax cross-entropy loss, on dense
 * rows of a {@code float[]} (row r of width d starts at {@code off + r·d}).
 *
 * <p>Each row is max-subtracted before {@code exp} (vectorised with {@code lanewise(EXP)}, 0.5 ulp),
 * and sums are accumulated in float lanes; against {@link ReferenceOps} (double accumulation) the
 * probabilities agree to about 10⁻⁶ relative for rows up to 50 k wide. A row whose entries are all
 * −∞ (fully masked) gives all zeros, as in the reference.
 */
public final class SoftmaxKernels {
    private SoftmaxKernels() {}

    /** Softmax in place over each of {@code rows} rows of width {@code d}, row r starting at {@code off + r·ld}. */
    public static void softmaxRows(float[] x, int off, int rows, int d, int ld) {
        KernelSupport.rows(rows, d, (r0, r1) -> {
            for (int r = r0; r < r1; r++) softmaxRow(x, off + r * ld, d, d);
        });
    }

    /**
     * Causal softmax in place over a stack of [T, d] score matrices ({@code rows} rows in all, T =
     * {@code rowsPerMatrix}, row r starting at {@code off + r·ld}): row i of each matrix attends to
     * columns j ≤ i + {@code offset}; the masked columns are set to 0. With a KV cache of length d and
     * T new queries, offset = d − T.
     */
    public static void softmaxRowsCausal(float[] x, int off, int rows, int d, int ld, int rowsPerMatrix, int offset) {
        KernelSupport.rows(rows, d, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                long visible = (long) (r % rowsPerMatrix) + offset + 1;
                softmaxRow(x, off + r * ld, d, (int) Math.max(0, Math.min(d, visible)));
            }
        });
    }

    /** Softmax in place over {@code x[o .. o+n)}, then zeros {@code x[o+n .. o+d)}. */
    static void softmaxRow(float[] x, int o, int d, int n) {
        float max = max(x, o, n);
        if (max == Float.NEGATIVE_INFINITY) {
            java.util.Arrays.fill(x, o, o + d, 0f);
            return;
        }
        float sum = expMinusMaxAndSum(x, o, n, max, x, o);
        float inv = 1f / sum;
        int j = 0;
        for (int bound = S.loopBound(n); j < bound; j += L) FloatVector.fromArray(S, x, o + j).mul(inv).intoArray(x, o + j);
        for (; j < n; j++) x[o + j] *= inv;
        java.util.Arrays.fill(x, o + n, o + d, 0f);
    }

    /** Largest of {@code x[o .. o+n)}; −∞ when n = 0. */
    static float max(float[] x, int o, int n) {
        float max = Float.NEGATIVE_INFINITY;
        int j = 0;
        if (n >= L) {
            FloatVector vm = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
            for (int bound = S.loopBound(n); j < bound; j += L) vm = vm.max(FloatVector.fromArray(S, x, o + j));
            max = vm.reduceLanes(VectorOperators.MAX);
        }
        for (; j < n; j++) max = Math.max(max, x[o + j]);
        return max;
    }

    /** {@code out[j] = exp(x[j] − max)} over n elements; returns their sum. {@code out} may alias {@code x}. */
    static float expMinusMaxAndSum(float[] x, int o, int n, float max, float[] out, int oo) {
        FloatVector acc = FloatVector.zero(S);
        int j = 0;
        for (int bound = S.loopBound(n); j < bound; j += L) {
            FloatVector e = VectorExp.exp(FloatVector.fromArray(S, x, o + j).sub(max));
            e.intoArray(out, oo + j);
            acc = acc.add(e);
        }
        float sum = KernelSupport.sumLanes(acc);
        for (; j < n; j++) {
            float e = (float) Math.exp(x[o + j] - max);
            out[oo + j] = e;
            sum += e;
        }
        return sum;
    }

    /** {@code dx = y ⊙ (dy − Σ_j dy_j·y_j)} per row, with y the softmax output. {@code dx} may alias y or dy. */
    public static void softmaxBackwardRows(float[] y, int yo, float[] dy, int go, float[] dx, int oo, int rows, int d) {
        KernelSupport.rows(rows, d, (r0, r1) -> {
            for (int r = r0; r < r1; r++) softmaxBackwardRow(y, yo + r * d, dy, go + r * d, dx, oo + r * d, d);
        });
    }

    /** One row of {@link #softmaxBackwardRows}: {@code dx[j] = y[j]·(dy[j] − Σ_k dy_k·y_k)} over n elements. */
    static void softmaxBackwardRow(float[] y, int yr, float[] dy, int gr, float[] dx, int or, int n) {
        float dot = dot(y, yr, dy, gr, n);
        int j = 0;
        for (int bound = S.loopBound(n); j < bound; j += L) {
            FloatVector vy = FloatVector.fromArray(S, y, yr + j);
            vy.mul(FloatVector.fromArray(S, dy, gr + j).sub(dot)).intoArray(dx, or + j);
        }
        for (; j < n; j++) dx[or + j] = y[yr + j] * (dy[gr + j] - dot);
    }

    static float dot(float[] a, int ao, float[] b, int bo, int n) {
        FloatVector acc = FloatVector.zero(S);
        int j = 0;
        for (int bound = S.loopBound(n); j < bound; j += L) {
            acc = FloatVector.fromArray(S, a, ao + j).fma(FloatVector.fromArray(S, b, bo + j), acc);
        }
        float s = KernelSupport.sumLanes(acc);
        for (; j < n; j++) s += a[ao + j] * b[bo + j];
        return s;
    }

    /**
     * Softmax cross-entropy forward over {@code rows} rows of logits of width V: writes the
     * probabilities {@code p = softmax(logits)} to {@code probs} (which may be the logits array itself,
     * at the same offset, to save memory) and each row's loss {@code −log p[target] = log Σ_j e^(z_j − m)
     * − (z_target − m)}, computed from the logits (no log of a rounded probability), to
     * {@code losses[r]}. With {@code probs} null only the losses are computed.
     */
    public static void crossEntropyRows(float[] logits, int lo, int[] targets, float[] probs, int po,
                                        float[] losses, int rows, int v) {
        crossEntropyRows(logits, lo, targets, probs, po, losses, rows, v, false, 0f);
    }

    /**
     * Softmax cross-entropy forward and backward in one pass over the logits, which are overwritten
     * by the gradient {@code scale · (p − onehot(target))} ({@code scale = dloss / N}); each row's
     * loss goes to {@code losses[r]} as in {@link #crossEntropyRows}. Bit for bit what
     * {@link #crossEntropyRows} into the logits followed by {@link #crossEntropyBackwardRows} in place
     * give, without the second pass over the [N, V] logits (at GPT-2's vocabulary, 200 KB a row:
     * the row is still in cache when its gradient is written).
     */
    public static void crossEntropyGradientRows(float[] logits, int lo, int[] targets, float scale, float[] losses, int rows, int v) {
        crossEntropyRows(logits, lo, targets, logits, lo, losses, rows, v, true, scale);
    }

    /** Losses, and into {@code probs} unless null the probabilities, or with {@code gradient} scale · (p − onehot). */
    private static void crossEntropyRows(float[] logits, int lo, int[] targets, float[] probs, int po,
                                         float[] losses, int rows, int v, boolean gradient, float scale) {
        KernelSupport.rows(rows, v, (r0, r1) -> {
            float[] scratch = probs == null ? new float[v] : null;
            for (int r = r0; r < r1; r++) {
                int lr = lo + r * v, pr = po + r * v;
                float max = max(logits, lr, v);
                float zt = logits[lr + targets[r]];
                float sum = probs == null ? expMinusMaxAndSum(logits, lr, v, max, scratch, 0)
                        : expMinusMaxAndSum(logits, lr, v, max, probs, pr);
                losses[r] = (float) (Math.log(sum) - ((double) zt - max));
                if (probs == null) continue;
                float inv = 1f / sum;
                int j = 0;
                if (gradient) {
                    float oneAtTarget = probs[pr + targets[r]] * inv - 1f;
                    for (int bound = S.loopBound(v); j < bound; j += L) {
                        FloatVector.fromArray(S, probs, pr + j).mul(inv).mul(scale).intoArray(probs, pr + j);
                    }
                    for (; j < v; j++) probs[pr + j] = scale * (probs[pr + j] * inv);
                    probs[pr + targets[r]] = scale * oneAtTarget;
                } else {
                    for (int bound = S.loopBound(v); j < bound; j += L) FloatVector.fromArray(S, probs, pr + j).mul(inv).intoArray(probs, pr + j);
                    for (; j < v; j++) probs[pr + j] *= inv;
                }
            }
        });
    }

    /**
     * Cross-entropy backward: {@code dlogits[r, j] += scale · (p[r, j] − [j = target_r])} with
     * {@code scale = dloss / N}; when {@code accumulate} is false it assigns instead, and {@code dlogits}
     * may then be {@code probs} itself.
     */
    public static void crossEntropyBackwardRows(float[] probs, int po, int[] targets, float scale, float[] dlogits, int go,
                                                boolean accumulate, int rows, int v) {
        KernelSupport.rows(rows, v, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int pr = po + r * v, gr = go + r * v;
                float oneAtTarget = probs[pr + targets[r]] - 1f; // read before an in-place overwrite
                int j = 0;
                if (accumulate) {
                    FloatVector vs = FloatVector.broadcast(S, scale);
                    for (int bound = S.loopBound(v); j < bound; j += L) {
                        FloatVector.fromArray(S, probs, pr + j).fma(vs, FloatVector.fromArray(S, dlogits, gr + j)).intoArray(dlogits, gr + j);
                    }
                    for (; j < v; j++) dlogits[gr + j] += scale * probs[pr + j];
                    dlogits[gr + targets[r]] -= scale;
                } else {
                    for (int bound = S.loopBound(v); j < bound; j += L) FloatVector.fromArray(S, probs, pr + j).mul(scale).intoArray(dlogits, gr + j);
                    for (; j < v; j++) dlogits[gr + j] = scale * probs[pr + j];
                    dlogits[gr + targets[r]] = scale * oneAtTarget;
                }
            }
        });
    }
}
