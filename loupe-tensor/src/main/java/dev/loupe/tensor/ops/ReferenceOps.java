package dev.loupe.tensor.ops;

import dev.loupe.tensor.Tensor;

import java.util.Arrays;

/**
 * Plain scalar implementations of every kernel in {@link Ops}, written for clarity and accumulating
 * in double. They define what the fast kernels must compute: tests compare the two on random
 * shapes, including awkward sizes (1, 7, 33, 1000).
 */
public final class ReferenceOps {
    private ReferenceOps() {}

    static final double GELU_C = Math.sqrt(2.0 / Math.PI);

    // ---------------------------------------------------------------- elementwise

    /** {@code a + b}; {@code b} has a's shape or a suffix of it (e.g. a bias [d] added to every row of [T, d]). */
    public static Tensor add(Tensor a, Tensor b) {
        Tensor out = a.copy();
        addInto(out, b);
        return out;
    }

    /** {@code acc += b} in place, with the same broadcasting as {@link #add}. */
    public static void addInto(Tensor acc, Tensor b) {
        int inner = broadcastInner(acc, b, "add");
        float[] o = acc.contiguousData(), bd = b.toArray();
        int base = acc.offset();
        int n = acc.size();
        for (int i = 0; i < n; i++) o[base + i] += bd[i % inner];
    }

    /** {@code y += alpha · x} (same shapes). */
    public static void axpy(float alpha, Tensor x, Tensor y) {
        Tensor.requireSameShape(x, y, "axpy");
        float[] xd = x.toArray(), yd = y.contiguousData();
        int base = y.offset();
        for (int i = 0; i < xd.length; i++) yd[base + i] += alpha * xd[i];
    }

    /** Elementwise (Hadamard) product {@code a ⊙ b}. */
    public static Tensor hadamard(Tensor a, Tensor b) {
        Tensor.requireSameShape(a, b, "hadamard");
        float[] x = a.toArray(), y = b.toArray();
        for (int i = 0; i < x.length; i++) x[i] *= y[i];
        return Tensor.of(x, a.shape());
    }

    /** {@code s · a}. */
    public static Tensor scale(Tensor a, float s) {
        float[] x = a.toArray();
        for (int i = 0; i < x.length; i++) x[i] *= s;
        return Tensor.of(x, a.shape());
    }

    /** {@code acc ⊙= b} in place (Hadamard product), with the same suffix broadcasting as {@link #add}. */
    public static void mulInto(Tensor acc, Tensor b) {
        int inner = broadcastInner(acc, b, "mulInto");
        float[] o = acc.contiguousData(), bd = b.toArray();
        int base = acc.offset();
        int n = acc.size();
        for (int i = 0; i < n; i++) o[base + i] *= bd[i % inner];
    }

    /** {@code a *= s} in place ({@code a} contiguous). */
    public static void scaleInto(Tensor a, float s) {
        float[] o = a.contiguousData();
        int base = a.offset();
        int n = a.size();
        for (int i = 0; i < n; i++) o[base + i] *= s;
    }

    // ---------------------------------------------------------------- softmax

    /** Softmax along {@code axis}, max-subtracted for stability. */
    public static Tensor softmax(Tensor x, int axis) {
        Tensor xt = x.transpose(axis, -1).contiguous();
        int d = xt.dim(-1);
        float[] v = xt.toArray();
        for (int r = 0; r < v.length / Math.max(1, d); r++) softmaxRow(v, r * d, d, d);
        return Tensor.of(v, xt.shape()).transpose(axis, -1).contiguous();
    }

    /** Backward of softmax along {@code axis}: {@code dx = y ⊙ (dy − Σ_j dy_j y_j)}, with y the softmax output. */
    public static Tensor softmaxBackward(Tensor y, Tensor dy, int axis) {
        Tensor.requireSameShape(y, dy, "softmaxBackward");
        Tensor yt = y.transpose(axis, -1).contiguous(), dyt = dy.transpose(axis, -1).contiguous();
        int d = yt.dim(-1);
        float[] yv = yt.toArray(), g = dyt.toArray(), out = new float[yv.length];
        for (int r = 0; r < yv.length / Math.max(1, d); r++) {
            int o = r * d;
            double dot = 0;
            for (int j = 0; j < d; j++) dot += (double) g[o + j] * yv[o + j];
            for (int j = 0; j < d; j++) out[o + j] = (float) (yv[o + j] * (g[o + j] - dot));
        }
        return Tensor.of(out, yt.shape()).transpose(axis, -1).contiguous();
    }

    /**
     * Softmax in place over the last axis of a contiguous tensor [..., T, S] whose rows are attention
     * scores; with {@code causal}, row i of each [T, S] matrix sees only columns {@code j ≤ i + offset}
     * (the others become 0; a row that sees nothing becomes all zeros). offset = 0 is the square
     * causal mask; with a KV cache of S keys and T new queries, offset = S − T.
     */
    public static void softmaxRowsInPlace(Tensor x, boolean causal, int offset) {
        float[] v = x.contiguousData();
        int d = x.dim(-1);
        int t = x.rank() >= 2 ? x.dim(-2) : 1;
        int rows = x.size() / Math.max(1, d);
        for (int r = 0; r < rows; r++) {
            int o = x.offset() + r * d;
            int visible = causal ? (int) Math.max(0, Math.min(d, (long) (r % t) + offset + 1)) : d;
            softmaxRow(v, o, d, visible);
        }
    }

    /**
     * Softmax of {@code v[o .. o+visible)} in place, max-subtracted, in double; {@code v[o+visible .. o+d)}
     * become 0. A row with nothing to see (visible = 0, or all −∞) becomes all zeros.
     */
    private static void softmaxRow(float[] v, int o, int d, int visible) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < visible; j++) max = Math.max(max, v[o + j]);
        double sum = 0;
        double[] e = new double[visible];
        for (int j = 0; j < visible; j++) {
            e[j] = max == Double.NEGATIVE_INFINITY ? 0 : Math.exp(v[o + j] - max);
            sum += e[j];
        }
        for (int j = 0; j < d; j++) v[o + j] = j < visible && sum != 0 ? (float) (e[j] / sum) : 0f;
    }

    // ---------------------------------------------------------------- cross-entropy

    /**
     * Mean softmax cross-entropy of logits [N, V] (or [..., V], N = all leading positions) against
     * integer targets (length N, each in [0, V)): {@code loss = (1/N)·Σ_r −log softmax(z_r)[y_r]},
     * with {@code −log p[y] = log Σ_j e^(z_j − m) − (z_y − m)}, m the row max. Writes the
     * probabilities {@code softmax(z_r)} into {@code probsOut} (contiguous, logits' shape; it may be
     * the logits tensor itself, or null) for the backward pass, and each row's loss into
     * {@code rowLossesOut} unless null.
     */
    public static double crossEntropy(Tensor logits, int[] targets, Tensor probsOut, float[] rowLossesOut) {
        int v = logits.dim(-1);
        int n = checkTargets(logits, targets, "crossEntropy");
        if (probsOut != null) Tensor.requireSameShape(logits, probsOut, "crossEntropy (probabilities)");
        float[] z = logits.toArray(), p = probsOut == null ? null : probsOut.contiguousData();
        double total = 0;
        for (int r = 0; r < n; r++) {
            int o = r * v;
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < v; j++) max = Math.max(max, z[o + j]);
            double sum = 0;
            for (int j = 0; j < v; j++) sum += Math.exp(z[o + j] - max);
            double loss = Math.log(sum) - (z[o + targets[r]] - max);
            if (rowLossesOut != null) rowLossesOut[r] = (float) loss;
            total += loss;
            if (p != null) for (int j = 0; j < v; j++) p[probsOut.offset() + o + j] = (float) (Math.exp(z[o + j] - max) / sum);
        }
        return n == 0 ? 0 : total / n;
    }

    /**
     * Cross-entropy backward, accumulating: {@code dlogits[r, j] += dloss · (p[r, j] − [j = y_r]) / N},
     * with p the probabilities from {@link #crossEntropy} and dloss the upstream gradient of the mean
     * loss (1 for a plain loss).
     */
    public static void crossEntropyBackward(Tensor probs, int[] targets, float dloss, Tensor dlogits) {
        int v = probs.dim(-1);
        int n = checkTargets(probs, targets, "crossEntropyBackward");
        Tensor.requireSameShape(probs, dlogits, "crossEntropyBackward");
        float[] p = probs.toArray(), g = dlogits.contiguousData();
        double scale = (double) dloss / n;
        for (int r = 0; r < n; r++) {
            for (int j = 0; j < v; j++) {
                double indicator = j == targets[r] ? 1 : 0;
                g[dlogits.offset() + r * v + j] += (float) (scale * (p[r * v + j] - indicator));
            }
        }
    }

    static int checkTargets(Tensor logits, int[] targets, String op) {
        int v = logits.dim(-1);
        int n = logits.size() / Math.max(1, v);
        if (targets.length != n) {
            throw new IllegalArgumentException(op + ": " + n + " rows of logits " + Arrays.toString(logits.shape())
                    + " but " + targets.length + " targets");
        }
        for (int r = 0; r < n; r++) {
            if (targets[r] < 0 || targets[r] >= v) {
                throw new IndexOutOfBoundsException(op + ": target " + targets[r] + " at row " + r
                        + " outside the vocabulary [0, " + v + ")");
            }
        }
        return n;
    }

    // ---------------------------------------------------------------- LayerNorm

    /**
     * LayerNorm over the last axis (Ba et al., 2016): {@code y = (x − μ) · rstd · γ + β}, with
     * {@code rstd = 1/√(σ² + eps)} and the biased variance σ². {@code meanOut} and {@code rstdOut},
     * shaped like x without its last axis, receive μ and rstd for the backward pass (either may be null).
     */
    public static Tensor layerNorm(Tensor x, Tensor gamma, Tensor beta, float eps, Tensor meanOut, Tensor rstdOut) {
        int d = x.dim(-1);
        float[] v = x.toArray(), g = gamma.toArray(), b = beta.toArray();
        int rows = v.length / Math.max(1, d);
        float[] out = new float[v.length];
        for (int r = 0; r < rows; r++) {
            int o = r * d;
            double mean = 0;
            for (int j = 0; j < d; j++) mean += v[o + j];
            mean /= d;
            double var = 0;
            for (int j = 0; j < d; j++) var += (v[o + j] - mean) * (v[o + j] - mean);
            var /= d;
            double rstd = 1.0 / Math.sqrt(var + eps);
            for (int j = 0; j < d; j++) out[o + j] = (float) ((v[o + j] - mean) * rstd * g[j] + b[j]);
            if (meanOut != null) meanOut.data()[meanOut.offset() + r] = (float) mean;
            if (rstdOut != null) rstdOut.data()[rstdOut.offset() + r] = (float) rstd;
        }
        return Tensor.of(out, x.shape());
    }

    /**
     * LayerNorm backward, accumulating ({@code +=}) into {@code dx}, {@code dgamma}, {@code dbeta}
     * (llm.c's convention, so several paths can add their gradients):
     * {@code dx = rstd · (dŷ − mean(dŷ) − x̂ · mean(dŷ ⊙ x̂))} with {@code dŷ = dout ⊙ γ} and x̂ the normalised input.
     */
    public static void layerNormBackward(Tensor dout, Tensor x, Tensor mean, Tensor rstd, Tensor gamma,
                                         Tensor dx, Tensor dgamma, Tensor dbeta) {
        int d = x.dim(-1);
        float[] v = x.toArray(), g = gamma.toArray(), dy = dout.toArray(), mu = mean.toArray(), rs = rstd.toArray();
        int rows = v.length / Math.max(1, d);
        float[] dxd = dx.contiguousData(), dgd = dgamma.contiguousData(), dbd = dbeta.contiguousData();
        for (int r = 0; r < rows; r++) {
            int o = r * d;
            double meanDn = 0, meanDnX = 0;
            for (int j = 0; j < d; j++) {
                double xhat = (v[o + j] - mu[r]) * rs[r];
                double dnorm = (double) g[j] * dy[o + j];
                meanDn += dnorm;
                meanDnX += dnorm * xhat;
            }
            meanDn /= d;
            meanDnX /= d;
            for (int j = 0; j < d; j++) {
                double xhat = (v[o + j] - mu[r]) * rs[r];
                double dnorm = (double) g[j] * dy[o + j];
                dbd[dbeta.offset() + j] += dy[o + j];
                dgd[dgamma.offset() + j] += (float) (xhat * dy[o + j]);
                dxd[dx.offset() + o + j] += (float) (rs[r] * (dnorm - meanDn - xhat * meanDnX));
            }
        }
    }

    // ---------------------------------------------------------------- activations

    /** GELU, tanh form (GPT-2's {@code gelu_new}): {@code 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))}. */
    public static Tensor gelu(Tensor x) {
        return map(x, z -> 0.5 * z * (1 + Math.tanh(GELU_C * (z + 0.044715 * z * z * z))));
    }

    /** Derivative of {@link #gelu} applied to the upstream gradient: {@code dx = gelu'(x) · dout}. */
    public static Tensor geluBackward(Tensor x, Tensor dout) {
        return mapBackward(x, dout, "geluBackward", (z, g) -> {
            double t = Math.tanh(GELU_C * (z + 0.044715 * z * z * z));
            double du = GELU_C * (1 + 3 * 0.044715 * z * z);
            return (0.5 * (1 + t) + 0.5 * z * (1 - t * t) * du) * g;
        });
    }

    /** {@code max(0, x)}. */
    public static Tensor relu(Tensor x) {
        return map(x, z -> z > 0 ? z : 0);
    }

    /** {@code dx = dout · [x > 0]}. */
    public static Tensor reluBackward(Tensor x, Tensor dout) {
        return mapBackward(x, dout, "reluBackward", (z, g) -> z > 0 ? g : 0);
    }

    /** SiLU (swish), the gate of SwiGLU (Shazeer, 2020): {@code x·σ(x) = x / (1 + e^(−x))}. */
    public static Tensor silu(Tensor x) {
        return map(x, z -> z / (1 + Math.exp(-z)));
    }

    /** {@code dx = dout · σ(x)·(1 + x·(1 − σ(x)))}, the derivative of {@link #silu}. */
    public static Tensor siluBackward(Tensor x, Tensor dout) {
        return mapBackward(x, dout, "siluBackward", (z, g) -> {
            double s = 1 / (1 + Math.exp(-z));
            return g * s * (1 + z * (1 - s));
        });
    }

    /** {@code f(x)} elementwise, evaluated in double and rounded once. */
    private static Tensor map(Tensor x, java.util.function.DoubleUnaryOperator f) {
        float[] v = x.toArray();
        for (int i = 0; i < v.length; i++) v[i] = (float) f.applyAsDouble(v[i]);
        return Tensor.of(v, x.shape());
    }

    /** {@code dx = grad(x, dout)} elementwise, e.g. {@code f'(x) · dout}, in double and rounded once. */
    private static Tensor mapBackward(Tensor x, Tensor dout, String op, java.util.function.DoubleBinaryOperator grad) {
        Tensor.requireSameShape(x, dout, op);
        float[] v = x.toArray(), g = dout.toArray();
        for (int i = 0; i < v.length; i++) v[i] = (float) grad.applyAsDouble(v[i], g[i]);
        return Tensor.of(v, x.shape());
    }

    /**
     * SwiGLU's gating (Shazeer, 2020) on {@code gateUp} [..., 2n], gate columns first, then up:
     * {@code silu(gate) ⊙ up} [..., n].
     */
    public static Tensor swiglu(Tensor gateUp) {
        int[] shape = gateUp.shape();
        int n = shape[shape.length - 1] / 2;
        shape[shape.length - 1] = n;
        float[] v = gateUp.toArray(), out = new float[v.length / 2];
        for (int r = 0; r < out.length / Math.max(1, n); r++) {
            for (int j = 0; j < n; j++) {
                double gate = v[2 * n * r + j], up = v[2 * n * r + n + j];
                out[n * r + j] = (float) (gate / (1 + Math.exp(-gate)) * up);
            }
        }
        return Tensor.of(out, shape);
    }

    /**
     * Backward of {@link #swiglu}: the gradient of {@code gateUp} [..., 2n] from dout [..., n],
     * {@code dgate = dout · up · σ(gate)·(1 + gate·(1 − σ(gate)))} next to {@code dup = dout · silu(gate)}.
     */
    public static Tensor swigluBackward(Tensor gateUp, Tensor dout) {
        int n = gateUp.dim(-1) / 2;
        float[] v = gateUp.toArray(), g = dout.toArray(), dx = new float[v.length];
        for (int r = 0; r < g.length / Math.max(1, n); r++) {
            for (int j = 0; j < n; j++) {
                double gate = v[2 * n * r + j], up = v[2 * n * r + n + j], d = g[n * r + j];
                double s = 1 / (1 + Math.exp(-gate));
                dx[2 * n * r + j] = (float) (d * up * s * (1 + gate * (1 - s)));
                dx[2 * n * r + n + j] = (float) (d * gate * s);
            }
        }
        return Tensor.of(dx, gateUp.shape());
    }

    // ---------------------------------------------------------------- reductions

    /** Largest absolute value; NaN if any element is NaN; 0 for an empty tensor. */
    public static float maxAbs(Tensor x) {
        float m = 0;
        for (float f : x.toArray()) {
            if (Float.isNaN(f)) return Float.NaN;
            m = Math.max(m, Math.abs(f));
        }
        return m;
    }

    /** Row-major index of the first NaN or ±∞ element, or −1 when every element is finite. */
    public static int firstNonFinite(Tensor x) {
        float[] v = x.toArray();
        for (int i = 0; i < v.length; i++) if (!Float.isFinite(v[i])) return i;
        return -1;
    }

    /** Sum of all elements (double accumulation). */
    public static double sum(Tensor x) {
        double s = 0;
        for (float f : x.toArray()) s += f;
        return s;
    }

    /** Sum of squares of all elements (double accumulation); the squared Frobenius norm. */
    public static double sumOfSquares(Tensor x) {
        double s = 0;
        for (float f : x.toArray()) s += (double) f * f;
        return s;
    }

    /** Sum along {@code axis}, which is removed from the shape. */
    public static Tensor sum(Tensor x, int axis) {
        return reduce(x, axis, 0);
    }

    /** Mean along {@code axis}, which is removed from the shape. */
    public static Tensor mean(Tensor x, int axis) {
        return reduce(x, axis, 1);
    }

    /** Maximum along {@code axis}, which is removed from the shape. */
    public static Tensor max(Tensor x, int axis) {
        return reduce(x, axis, 2);
    }

    /** Index of the largest element of each row of the last axis (first one on ties). */
    public static int[] argmax(Tensor x) {
        int d = x.dim(-1);
        float[] v = x.toArray();
        int[] out = new int[v.length / Math.max(1, d)];
        for (int r = 0; r < out.length; r++) {
            int best = 0;
            for (int j = 1; j < d; j++) if (v[r * d + j] > v[r * d + best]) best = j;
            out[r] = best;
        }
        return out;
    }

    private static Tensor reduce(Tensor x, int axis, int kind) {
        int[] shape = x.shape();
        int ax = axis < 0 ? axis + shape.length : axis;
        int outer = 1, inner = 1, d = shape[ax];
        for (int i = 0; i < ax; i++) outer *= shape[i];
        for (int i = ax + 1; i < shape.length; i++) inner *= shape[i];
        float[] v = x.toArray();
        float[] out = new float[outer * inner];
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < inner; i++) {
                double acc = kind == 2 ? Double.NEGATIVE_INFINITY : 0;
                for (int j = 0; j < d; j++) {
                    float e = v[(o * d + j) * inner + i];
                    acc = kind == 2 ? Math.max(acc, e) : acc + e;
                }
                out[o * inner + i] = (float) (kind == 1 ? acc / d : acc);
            }
        }
        int[] outShape = new int[shape.length - 1];
        for (int i = 0, j = 0; i < shape.length; i++) if (i != ax) outShape[j++] = shape[i];
        return Tensor.of(out, outShape);
    }

    // ---------------------------------------------------------------- gather

    /** Rows {@code ids} of {@code table} [V, d] as a new [n, d] tensor (embedding lookup). */
    public static Tensor gather(Tensor table, int[] ids) {
        int v = table.dim(0), d = table.dim(1);
        Tensor out = Tensor.zeros(ids.length, d);
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= v) {
                throw new IndexOutOfBoundsException("token id " + ids[i] + " outside the vocabulary [0, " + v + ")");
            }
            table.select(0, ids[i]).copyInto(out.select(0, i));
        }
        return out;
    }

    /** Backward of {@link #gather}: {@code dtable[ids[i]] += dout[i]} (scatter-add; repeated ids accumulate). */
    public static void gatherBackward(Tensor dout, int[] ids, Tensor dtable) {
        int d = dtable.dim(1);
        float[] g = dout.toArray(), t = dtable.contiguousData();
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= dtable.dim(0)) {
                throw new IndexOutOfBoundsException("token id " + ids[i] + " outside the vocabulary [0, " + dtable.dim(0) + ")");
            }
            int o = dtable.offset() + ids[i] * d;
            for (int j = 0; j < d; j++) t[o + j] += g[i * d + j];
        }
    }

    static int broadcastInner(Tensor acc, Tensor b, String op) {
        int[] as = acc.shape(), bs = b.shape();
        if (bs.length > as.length) throw new IllegalArgumentException(op + ": cannot broadcast " + Arrays.toString(bs) + " onto " + Arrays.toString(as));
        for (int i = 0; i < bs.length; i++) {
            if (as[as.length - bs.length + i] != bs[i]) {
                throw new IllegalArgumentException(op + ": cannot broadcast " + Arrays.toString(bs) + " onto " + Arrays.toString(as));
            }
        }
        return Math.max(1, b.size());
    }
}
