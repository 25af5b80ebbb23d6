package dev.loupe.model;

import dev.loupe.tensor.Parallel;
import dev.loupe.tensor.Tensor;

/**
 * Row-wise kernels the model writes into its preallocated activation buffers.
 *
 * <p>Why they are here and not in {@link dev.loupe.tensor.ops.Ops}: {@code Ops} returns new tensors
 * for LayerNorm, GELU, ReLU and softmax, and training must not allocate an activation per step
 * (PERFORMANCE.md, P8). These are the in-place twins, plus the few row operations only a decoder
 * needs (a causal softmax that skips masked keys, SiLU for SwiGLU, column sums for bias gradients).
 * Everything heavy (the matrix products) goes through {@link dev.loupe.tensor.matmul.Matmul}.
 *
 * <p>All tensors are contiguous [rows, width] unless a parameter says "row-dense view", in which case
 * rows may be {@code stride(0)} apart (a head's slice of a wider matrix). Work is split by rows
 * with {@link Parallel#forRange}; each row is computed by one thread in a fixed order, so results do
 * not depend on the thread count.
 */
final class ModelKernels {
    private ModelKernels() {}

    static final float GELU_C = (float) Math.sqrt(2.0 / Math.PI);

    private static int minRows(int width) {
        return Math.max(1, 8192 / Math.max(1, width));
    }

    // ---------------------------------------------------------------- LayerNorm (Ba et al., 2016)

    /**
     * {@code y = (x − μ) · rstd · γ + β} per row, {@code rstd = 1/√(σ² + ε)} with the biased variance.
     * x, y [N, d]; γ, β [d]; mean, rstd [N] receive μ and rstd for the backward pass.
     */
    static void layerNorm(Tensor x, Tensor gamma, Tensor beta, float eps, Tensor y, Tensor mean, Tensor rstd) {
        int d = x.dim(-1), n = x.size() / d;
        float[] xd = x.contiguousData(), yd = y.contiguousData(), g = gamma.contiguousData(), b = beta.contiguousData();
        float[] md = mean.contiguousData(), rd = rstd.contiguousData();
        int xo = x.offset(), yo = y.offset(), go = gamma.offset(), bo = beta.offset(), mo = mean.offset(), ro = rstd.offset();
        Parallel.forRange(n, minRows(d), (from, to) -> {
            for (int r = from; r < to; r++) {
                int o = xo + r * d;
                double s = 0;
                for (int j = 0; j < d; j++) s += xd[o + j];
                float mu = (float) (s / d);
                double v = 0;
                for (int j = 0; j < d; j++) {
                    float c = xd[o + j] - mu;
                    v += (double) c * c;
                }
                float rs = (float) (1.0 / Math.sqrt(v / d + eps));
                int p = yo + r * d;
                for (int j = 0; j < d; j++) yd[p + j] = (xd[o + j] - mu) * rs * g[go + j] + b[bo + j];
                md[mo + r] = mu;
                rd[ro + r] = rs;
            }
        });
    }

    // ---------------------------------------------------------------- elementwise

    /** {@code out = a + b} (same shapes, contiguous; out may be a or b). */
    static void add(Tensor a, Tensor b, Tensor out) {
        int n = out.size();
        float[] ad = a.contiguousData(), bd = b.contiguousData(), od = out.contiguousData();
        int ao = a.offset(), bo = b.offset(), oo = out.offset();
        Parallel.forRange(n, 1 << 14, (from, to) -> {
            for (int i = from; i < to; i++) od[oo + i] = ad[ao + i] + bd[bo + i];
        });
    }

    /** {@code y[r, j] += b[j]} for every row: a bias added to each position. y [N, n] contiguous, b [n]. */
    static void addBias(Tensor y, Tensor bias) {
        int n = bias.size(), rows = y.size() / n;
        float[] yd = y.contiguousData(), b = bias.contiguousData();
        int yo = y.offset(), bo = bias.offset();
        Parallel.forRange(rows, minRows(n), (from, to) -> {
            for (int r = from; r < to; r++) {
                int o = yo + r * n;
                for (int j = 0; j < n; j++) yd[o + j] += b[bo + j];
            }
        });
    }

    /** {@code acc[j] += Σ_rows dy[r, j]}: the gradient of a bias added to every row. dy [N, n], acc [n]. */
    static void sumRowsInto(Tensor dy, Tensor acc) {
        int n = acc.size(), rows = dy.size() / n;
        float[] g = dy.contiguousData(), a = acc.contiguousData();
        int go = dy.offset(), ao = acc.offset();
        // Split by columns so each column is summed by one thread in row order: deterministic.
        Parallel.forRange(n, 256, (from, to) -> {
            for (int r = 0; r < rows; r++) {
                int o = go + r * n;
                for (int j = from; j < to; j++) a[ao + j] += g[o + j];
            }
        });
    }

    // ---------------------------------------------------------------- non-linearities

    /** GELU, tanh form (GPT-2's {@code gelu_new}): {@code 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))}. */
    static float gelu(float x) {
        return 0.5f * x * (1f + (float) Math.tanh(GELU_C * (x + 0.044715f * x * x * x)));
    }

    /** d gelu(x) / dx. */
    static float geluGrad(float x) {
        float t = (float) Math.tanh(GELU_C * (x + 0.044715f * x * x * x));
        float du = GELU_C * (1f + 3f * 0.044715f * x * x);
        return 0.5f * (1f + t) + 0.5f * x * (1f - t * t) * du;
    }

    /** SiLU (swish), {@code x · σ(x)}, the gate of SwiGLU (Shazeer, 2020). */
    static float silu(float x) {
        return x / (1f + (float) Math.exp(-x));
    }

    /** d silu(x) / dx = σ(x)·(1 + x·(1 − σ(x))). */
    static float siluGrad(float x) {
        float s = 1f / (1f + (float) Math.exp(-x));
        return s * (1f + x * (1f - s));
    }

    // ---------------------------------------------------------------- causal softmax

    /**
     * Softmax of each row of the attention scores under the causal mask, in place. {@code s} is a
     * row-dense view [Tq, Tk]; query row i sits at absolute position {@code past + i} and may attend to
     * keys 0 … past + i. Masked entries are set to exactly 0, so that later products with V need no mask.
     */
    static void causalSoftmax(Tensor s, int past) {
        int tq = s.dim(0), tk = s.dim(1), ld = s.stride(0);
        float[] d = s.data();
        int base = s.offset();
        for (int i = 0; i < tq; i++) {
            int o = base + i * ld;
            int valid = Math.min(tk, past + i + 1);
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < valid; j++) max = Math.max(max, d[o + j]);
            double sum = 0;
            for (int j = 0; j < valid; j++) {
                float e = (float) Math.exp(d[o + j] - max);
                d[o + j] = e;
                sum += e;
            }
            float inv = (float) (1.0 / sum);
            for (int j = 0; j < valid; j++) d[o + j] *= inv;
            for (int j = valid; j < tk; j++) d[o + j] = 0f;
        }
    }

    /**
     * Softmax backward per row, in place: on entry {@code g} holds dL/dP, on exit dL/dS with
     * {@code dS_j = P_j · (dP_j − Σ_k P_k dP_k)}. Masked entries (P = 0) get 0. Both row-dense [Tq, Tk].
     */
    static void softmaxBackwardInPlace(Tensor p, Tensor g) {
        int tq = p.dim(0), tk = p.dim(1), lp = p.stride(0), lg = g.stride(0);
        float[] pd = p.data(), gd = g.data();
        int po = p.offset(), go = g.offset();
        for (int i = 0; i < tq; i++) {
            int a = po + i * lp, b = go + i * lg;
            double dot = 0;
            for (int j = 0; j < tk; j++) dot += (double) pd[a + j] * gd[b + j];
            float fdot = (float) dot;
            for (int j = 0; j < tk; j++) gd[b + j] = pd[a + j] * (gd[b + j] - fdot);
        }
    }
}
