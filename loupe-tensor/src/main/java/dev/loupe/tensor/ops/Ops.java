package dev.loupe.tensor.ops;

import dev.loupe.tensor.Tensor;

import java.util.Arrays;

/**
 * The tensor kernels the model needs, forward and backward side by side: a facade over the Vector
 * API kernels ({@link ElementwiseKernels}, {@link ActivationKernels}, {@link SoftmaxKernels},
 * {@link LayerNormKernels}, {@link ReductionKernels}, {@link GatherKernels}), which use all cores
 * through {@link dev.loupe.tensor.Parallel} for large inputs. Every method has a plain scalar twin in
 * {@link ReferenceOps} that defines its meaning; the tests hold the two together (see the kernel
 * classes for the float32 tolerances).
 *
 * <p>Unless stated otherwise, inputs may be any views (non-contiguous ones are first copied to a
 * dense layout) and outputs are new contiguous tensors. Methods named {@code …Into} or
 * {@code …InPlace} write into contiguous tensors they are given, so that a training loop allocates
 * nothing per step: they overwrite their output, except where the output is an accumulator named
 * {@code acc} ({@link #addInto}, {@link #sumRowsInto}). The {@code …Backward} methods that take
 * gradient tensors ({@link #layerNormBackward}, {@link #crossEntropyBackward},
 * {@link #gatherBackward}) accumulate ({@code +=}), so several paths can add their gradients.
 * Reductions and every other kernel give the same result for any thread count.
 */
public final class Ops {
    private Ops() {}

    // ---------------------------------------------------------------- elementwise

    /** {@code a + b}; {@code b} has a's shape or a suffix of it (a bias [d] added to every row of [T, d]). */
    public static Tensor add(Tensor a, Tensor b) {
        Tensor out = a.copy();
        addInto(out, b);
        return out;
    }

    /** {@code acc += b} in place, {@code acc} contiguous, with the same broadcasting as {@link #add}. */
    public static void addInto(Tensor acc, Tensor b) {
        int inner = ReferenceOps.broadcastInner(acc, b, "add");
        float[] o = acc.contiguousData();
        Tensor bd = b.contiguous();
        int n = acc.size();
        if (n == 0) return;
        if (inner == n) ElementwiseKernels.add(o, acc.offset(), bd.data(), bd.offset(), o, acc.offset(), n);
        else ElementwiseKernels.addRowBroadcast(o, acc.offset(), bd.data(), bd.offset(), o, acc.offset(), n / inner, inner);
    }

    /**
     * {@code out = a + b} (same shapes) into a contiguous {@code out}, which may be {@code a} or
     * {@code b}: a residual connection written into a preallocated buffer.
     */
    public static void add(Tensor a, Tensor b, Tensor out) {
        Tensor.requireSameShape(a, b, "add");
        Tensor.requireSameShape(a, out, "add (out)");
        float[] o = out.contiguousData();
        Tensor ad = a.contiguous(), bd = b.contiguous();
        ElementwiseKernels.add(ad.data(), ad.offset(), bd.data(), bd.offset(), o, out.offset(), out.size());
    }

    /** {@code y += alpha · x} (same shapes; {@code y} contiguous). */
    public static void axpy(float alpha, Tensor x, Tensor y) {
        Tensor.requireSameShape(x, y, "axpy");
        float[] yd = y.contiguousData();
        Tensor xd = x.contiguous();
        ElementwiseKernels.axpy(alpha, xd.data(), xd.offset(), yd, y.offset(), y.size());
    }

    /** Elementwise (Hadamard) product {@code a ⊙ b} (same shapes). */
    public static Tensor hadamard(Tensor a, Tensor b) {
        Tensor.requireSameShape(a, b, "hadamard");
        Tensor out = a.copy();
        Tensor bd = b.contiguous();
        ElementwiseKernels.mul(out.data(), 0, bd.data(), bd.offset(), out.data(), 0, out.size());
        return out;
    }

    /** {@code acc ⊙= b} in place, {@code acc} contiguous, with the same suffix broadcasting as {@link #add}. */
    public static void mulInto(Tensor acc, Tensor b) {
        int inner = ReferenceOps.broadcastInner(acc, b, "mulInto");
        float[] o = acc.contiguousData();
        Tensor bd = b.contiguous();
        int n = acc.size();
        if (n == 0) return;
        if (inner == n) ElementwiseKernels.mul(o, acc.offset(), bd.data(), bd.offset(), o, acc.offset(), n);
        else ElementwiseKernels.mulRowBroadcast(o, acc.offset(), bd.data(), bd.offset(), o, acc.offset(), n / inner, inner);
    }

    /** {@code s · a} as a new tensor. */
    public static Tensor scale(Tensor a, float s) {
        Tensor out = a.copy();
        scaleInto(out, s);
        return out;
    }

    /** {@code a *= s} in place ({@code a} contiguous), e.g. gradient clipping. */
    public static void scaleInto(Tensor a, float s) {
        float[] o = a.contiguousData();
        ElementwiseKernels.scale(o, a.offset(), s, o, a.offset(), a.size());
    }

    // ---------------------------------------------------------------- softmax

    /** Softmax along {@code axis}: {@code y_j = e^(x_j − m) / Σ_k e^(x_k − m)}, m the max along the axis. */
    public static Tensor softmax(Tensor x, int axis) {
        Tensor out = x.transpose(axis, -1).copy();
        int d = out.dim(-1);
        if (d > 0) SoftmaxKernels.softmaxRows(out.data(), 0, out.size() / d, d, d);
        return isLast(x, axis) ? out : out.transpose(axis, -1).contiguous();
    }

    /** Backward of softmax along {@code axis}: {@code dx = y ⊙ (dy − Σ_j dy_j y_j)}, with y the softmax output. */
    public static Tensor softmaxBackward(Tensor y, Tensor dy, int axis) {
        Tensor.requireSameShape(y, dy, "softmaxBackward");
        Tensor yt = y.transpose(axis, -1).contiguous(), out = dy.transpose(axis, -1).copy();
        int d = out.dim(-1);
        if (d > 0) SoftmaxKernels.softmaxBackwardRows(yt.data(), yt.offset(), out.data(), 0, out.data(), 0, out.size() / d, d);
        return isLast(y, axis) ? out : out.transpose(axis, -1).contiguous();
    }

    /**
     * Softmax in place over the last axis of a contiguous tensor [..., T, S] (attention scores:
     * rows are queries, columns keys). No mask; see {@link #softmaxRowsInPlace(Tensor, boolean, int)}.
     */
    public static void softmaxRowsInPlace(Tensor x) {
        softmaxRowsInPlace(x, false, 0);
    }

    /**
     * Softmax in place over the last axis of a contiguous tensor [..., T, S], or of a row-dense 2-D
     * view [T, S] (rows {@code stride(0)} apart: the first S columns of a pattern buffer sized for a
     * whole KV cache). With {@code causal}, row i of each [T, S] matrix sees only columns
     * {@code j ≤ i + offset}, the others becoming exactly 0 (GPT's autoregressive mask, applied
     * without writing −∞). offset = 0 for training on [T, T] scores; offset = S − T when T new
     * queries attend to a KV cache of S keys. A row that sees no column becomes all zeros.
     */
    public static void softmaxRowsInPlace(Tensor x, boolean causal, int offset) {
        int d = x.dim(-1);
        if (d == 0 || x.size() == 0) return;
        int ld = rowStride(x, "softmaxRowsInPlace");
        int rows = x.size() / d;
        if (causal) SoftmaxKernels.softmaxRowsCausal(x.data(), x.offset(), rows, d, ld, x.rank() >= 2 ? x.dim(-2) : 1, offset);
        else SoftmaxKernels.softmaxRows(x.data(), x.offset(), rows, d, ld);
    }

    /**
     * Softmax backward over the last axis, in place: on entry {@code dy} holds dL/dy, on exit dL/dx,
     * {@code dx = y ⊙ (dy − Σ_j dy_j·y_j)} per row, with y the softmax output (both contiguous, same
     * shape). Entries masked by a causal softmax (y = 0) get gradient 0. The attention backward's
     * [T, T] step, without the allocations of {@link #softmaxBackward}.
     */
    public static void softmaxBackwardRowsInPlace(Tensor y, Tensor dy) {
        Tensor.requireSameShape(y, dy, "softmaxBackwardRowsInPlace");
        float[] yd = y.contiguousData(), g = dy.contiguousData();
        int d = y.dim(-1);
        if (d == 0 || y.size() == 0) return;
        SoftmaxKernels.softmaxBackwardRows(yd, y.offset(), g, dy.offset(), g, dy.offset(), y.size() / d, d);
    }

    // ---------------------------------------------------------------- cross-entropy

    /**
     * Mean softmax cross-entropy of {@code logits} [N, V] (or [B, T, V]: N = B·T) against integer
     * {@code targets} (N ids in [0, V)): {@code loss = (1/N)·Σ_r (log Σ_j e^(z_rj − m_r) − (z_r,y_r − m_r))}.
     * Writes the row probabilities {@code softmax(z_r)} into {@code probsOut} (contiguous, logits'
     * shape), kept for {@link #crossEntropyBackward}; {@code probsOut} may be {@code logits} itself to
     * save the memory of a [B·T, V] tensor, or null when only the loss is wanted.
     *
     * @return the mean loss (per-row losses summed in order in double: deterministic)
     */
    public static double crossEntropy(Tensor logits, int[] targets, Tensor probsOut) {
        return crossEntropy(logits, targets, probsOut, null);
    }

    /** As {@link #crossEntropy(Tensor, int[], Tensor)}, also writing each row's loss to {@code rowLossesOut} [N] unless null. */
    public static double crossEntropy(Tensor logits, int[] targets, Tensor probsOut, float[] rowLossesOut) {
        int n = ReferenceOps.checkTargets(logits, targets, "crossEntropy");
        if (probsOut != null) Tensor.requireSameShape(logits, probsOut, "crossEntropy (probabilities)");
        float[] p = probsOut == null ? null : probsOut.contiguousData();
        Tensor z = logits.contiguous();
        int v = logits.dim(-1);
        float[] losses = rowLossesOut != null ? rowLossesOut : new float[n];
        SoftmaxKernels.crossEntropyRows(z.data(), z.offset(), targets, p, probsOut == null ? 0 : probsOut.offset(), losses, n, v);
        double total = 0;
        for (int r = 0; r < n; r++) total += losses[r];
        return n == 0 ? 0 : total / n;
    }

    /**
     * Cross-entropy backward, accumulating into {@code dlogits} (contiguous, probs' shape):
     * {@code dlogits[r, j] += dloss · (p[r, j] − [j = y_r]) / N}, with p from {@link #crossEntropy} and
     * {@code dloss} the upstream gradient of the mean loss (1 for a plain loss).
     */
    public static void crossEntropyBackward(Tensor probs, int[] targets, float dloss, Tensor dlogits) {
        int n = ReferenceOps.checkTargets(probs, targets, "crossEntropyBackward");
        Tensor.requireSameShape(probs, dlogits, "crossEntropyBackward");
        float[] g = dlogits.contiguousData();
        Tensor p = probs.contiguous();
        if (n == 0) return;
        SoftmaxKernels.crossEntropyBackwardRows(p.data(), p.offset(), targets, dloss / n, g, dlogits.offset(), true, n, probs.dim(-1));
    }

    /**
     * Cross-entropy backward that overwrites the probabilities with the gradient:
     * {@code probs[r, j] ← dloss · (p[r, j] − [j = y_r]) / N}. Together with {@code probsOut = logits}
     * in {@link #crossEntropy}, the loss head needs no [N, V] buffer beyond the logits.
     */
    public static void crossEntropyBackwardInPlace(Tensor probs, int[] targets, float dloss) {
        int n = ReferenceOps.checkTargets(probs, targets, "crossEntropyBackwardInPlace");
        float[] p = probs.contiguousData();
        if (n == 0) return;
        SoftmaxKernels.crossEntropyBackwardRows(p, probs.offset(), targets, dloss / n, p, probs.offset(), false, n, probs.dim(-1));
    }

    /**
     * Mean softmax cross-entropy of {@code logits} [N, V] (contiguous) against {@code targets}, with the
     * logits overwritten by {@code dloss · (softmax(z_r) − onehot(y_r)) / N}: {@link #crossEntropy} into
     * the logits followed by {@link #crossEntropyBackwardInPlace}, bit for bit, in one pass over the
     * [N, V] buffer instead of two (the training step's loss head).
     */
    public static double crossEntropyWithGradientInPlace(Tensor logits, int[] targets, float dloss) {
        int n = ReferenceOps.checkTargets(logits, targets, "crossEntropyWithGradientInPlace");
        float[] z = logits.contiguousData();
        if (n == 0) return 0;
        float[] losses = new float[n];
        SoftmaxKernels.crossEntropyGradientRows(z, logits.offset(), targets, dloss / n, losses, n, logits.dim(-1));
        double total = 0;
        for (int r = 0; r < n; r++) total += losses[r];
        return total / n;
    }

    // ---------------------------------------------------------------- LayerNorm

    /**
     * LayerNorm over the last axis (Ba et al., 2016): x [..., d], γ and β [d];
     * {@code y = (x − μ)·rstd·γ + β}, {@code rstd = 1/√(σ² + eps)} with the biased variance σ².
     * {@code meanOut} and {@code rstdOut} (contiguous, x's shape without the last axis, either may be
     * null) receive μ and rstd for the backward pass.
     */
    public static Tensor layerNorm(Tensor x, Tensor gamma, Tensor beta, float eps, Tensor meanOut, Tensor rstdOut) {
        Tensor out = Tensor.zeros(x.shape());
        layerNormInto(x, gamma, beta, eps, out, meanOut, rstdOut);
        return out;
    }

    /** {@link #layerNorm} into a preallocated contiguous {@code out} of x's shape (overwritten). */
    public static void layerNormInto(Tensor x, Tensor gamma, Tensor beta, float eps, Tensor out, Tensor meanOut, Tensor rstdOut) {
        int d = x.dim(-1);
        checkVector(gamma, d, "layerNorm γ");
        checkVector(beta, d, "layerNorm β");
        Tensor.requireSameShape(x, out, "layerNorm (out)");
        float[] o = out.contiguousData();
        Tensor xd = x.contiguous(), g = gamma.contiguous(), b = beta.contiguous();
        int rows = d == 0 ? 0 : out.size() / d;
        checkStats(meanOut, rows, "layerNorm mean");
        checkStats(rstdOut, rows, "layerNorm rstd");
        LayerNormKernels.forward(xd.data(), xd.offset(), g.data(), g.offset(), b.data(), b.offset(), eps, o, out.offset(),
                meanOut == null ? null : meanOut.contiguousData(), meanOut == null ? 0 : meanOut.offset(),
                rstdOut == null ? null : rstdOut.contiguousData(), rstdOut == null ? 0 : rstdOut.offset(), rows, d);
    }

    /**
     * LayerNorm backward, accumulating ({@code +=}) into {@code dx} [..., d], {@code dgamma} and
     * {@code dbeta} [d] (all contiguous), llm.c's convention so several paths can add their gradients:
     * {@code dx += rstd·(dŷ − mean(dŷ) − x̂·mean(dŷ ⊙ x̂))}, {@code dγ += Σ x̂ ⊙ dout},
     * {@code dβ += Σ dout}, with {@code dŷ = dout ⊙ γ} and {@code x̂ = (x − μ)·rstd}.
     */
    public static void layerNormBackward(Tensor dout, Tensor x, Tensor mean, Tensor rstd, Tensor gamma,
                                         Tensor dx, Tensor dgamma, Tensor dbeta) {
        int d = x.dim(-1);
        Tensor.requireSameShape(dout, x, "layerNormBackward (dout)");
        Tensor.requireSameShape(dx, x, "layerNormBackward (dx)");
        checkVector(gamma, d, "layerNormBackward γ");
        checkVector(dgamma, d, "layerNormBackward dγ");
        checkVector(dbeta, d, "layerNormBackward dβ");
        int rows = d == 0 ? 0 : x.size() / d;
        checkStats(mean, rows, "layerNormBackward mean");
        checkStats(rstd, rows, "layerNormBackward rstd");
        Tensor g = dout.contiguous(), xd = x.contiguous(), mu = mean.contiguous(), rs = rstd.contiguous(), ga = gamma.contiguous();
        LayerNormKernels.backward(g.data(), g.offset(), xd.data(), xd.offset(), mu.data(), mu.offset(), rs.data(), rs.offset(),
                ga.data(), ga.offset(), dx.contiguousData(), dx.offset(), dgamma.contiguousData(), dgamma.offset(),
                dbeta.contiguousData(), dbeta.offset(), rows, d);
    }

    // ---------------------------------------------------------------- activations
    //
    // Each activation comes as f(x) → new tensor and fInto(x, out) into a preallocated contiguous
    // out of x's shape (overwritten); each backward as fBackward(x, dout) → new tensor and
    // fBackwardInto(x, dout, dx), which overwrites dx (it does not accumulate).

    /** GELU, tanh form (GPT-2's {@code gelu_new}): {@code 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))}. */
    public static Tensor gelu(Tensor x) {
        return map(x, ActivationKernels::gelu, "gelu");
    }

    /** {@link #gelu} into {@code out} (contiguous, x's shape; overwritten). */
    public static void geluInto(Tensor x, Tensor out) {
        mapInto(x, out, ActivationKernels::gelu, "gelu");
    }

    /** {@code dx = gelu'(x) · dout} (see {@link ActivationKernels#geluBackward}). */
    public static Tensor geluBackward(Tensor x, Tensor dout) {
        return mapBackward(x, dout, ActivationKernels::geluBackward, "geluBackward");
    }

    /** {@link #geluBackward} into {@code dx} (contiguous, x's shape; overwritten, not accumulated). */
    public static void geluBackwardInto(Tensor x, Tensor dout, Tensor dx) {
        mapBackwardInto(x, dout, dx, ActivationKernels::geluBackward, "geluBackward");
    }

    /** {@code max(0, x)}. */
    public static Tensor relu(Tensor x) {
        return map(x, ActivationKernels::relu, "relu");
    }

    /** {@link #relu} into {@code out} (contiguous, x's shape; overwritten). */
    public static void reluInto(Tensor x, Tensor out) {
        mapInto(x, out, ActivationKernels::relu, "relu");
    }

    /** {@code dx = dout · [x > 0]}. */
    public static Tensor reluBackward(Tensor x, Tensor dout) {
        return mapBackward(x, dout, ActivationKernels::reluBackward, "reluBackward");
    }

    /** {@link #reluBackward} into {@code dx} (contiguous, x's shape; overwritten, not accumulated). */
    public static void reluBackwardInto(Tensor x, Tensor dout, Tensor dx) {
        mapBackwardInto(x, dout, dx, ActivationKernels::reluBackward, "reluBackward");
    }

    /**
     * SiLU (swish): {@code x·σ(x) = x / (1 + e^(−x))}, the gate of SwiGLU (Shazeer, 2020):
     * {@code SwiGLU(x) = (silu(x·W_gate) ⊙ (x·W_up))·W_down}.
     */
    public static Tensor silu(Tensor x) {
        return map(x, ActivationKernels::silu, "silu");
    }

    /** {@link #silu} into {@code out} (contiguous, x's shape; overwritten). */
    public static void siluInto(Tensor x, Tensor out) {
        mapInto(x, out, ActivationKernels::silu, "silu");
    }

    /** {@code dx = dout · σ(x)·(1 + x·(1 − σ(x)))}, the derivative of {@link #silu}. */
    public static Tensor siluBackward(Tensor x, Tensor dout) {
        return mapBackward(x, dout, ActivationKernels::siluBackward, "siluBackward");
    }

    /** {@link #siluBackward} into {@code dx} (contiguous, x's shape; overwritten, not accumulated). */
    public static void siluBackwardInto(Tensor x, Tensor dout, Tensor dx) {
        mapBackwardInto(x, dout, dx, ActivationKernels::siluBackward, "siluBackward");
    }

    /**
     * SwiGLU's gating (Shazeer, 2020) on the fused up-projection {@code gateUp} [..., 2n], whose first
     * n columns are the gate and the last n the up-projection: {@code silu(gate) ⊙ up} [..., n].
     */
    public static Tensor swiglu(Tensor gateUp) {
        int[] shape = gateUp.shape();
        shape[shape.length - 1] /= 2;
        Tensor out = Tensor.zeros(shape);
        swigluInto(gateUp, out);
        return out;
    }

    /** {@link #swiglu} into a preallocated contiguous {@code out} [..., n] (overwritten). */
    public static void swigluInto(Tensor gateUp, Tensor out) {
        int n = checkGated(gateUp, out, "swiglu");
        float[] o = out.contiguousData();
        Tensor x = gateUp.contiguous();
        if (n > 0) ActivationKernels.swiglu(x.data(), x.offset(), o, out.offset(), out.size() / n, n);
    }

    /**
     * Backward of {@link #swiglu}: from dout [..., n] the gradient of {@code gateUp} [..., 2n],
     * {@code dgate = dout ⊙ up ⊙ silu'(gate)} next to {@code dup = dout ⊙ silu(gate)}.
     */
    public static Tensor swigluBackward(Tensor gateUp, Tensor dout) {
        Tensor dx = Tensor.zeros(gateUp.shape());
        swigluBackwardInto(gateUp, dout, dx);
        return dx;
    }

    /** {@link #swigluBackward} into a contiguous {@code dGateUp} of gateUp's shape (overwritten). */
    public static void swigluBackwardInto(Tensor gateUp, Tensor dout, Tensor dGateUp) {
        int n = checkGated(gateUp, dout, "swigluBackward");
        Tensor.requireSameShape(gateUp, dGateUp, "swigluBackward (dGateUp)");
        float[] dx = dGateUp.contiguousData();
        Tensor x = gateUp.contiguous(), g = dout.contiguous();
        if (n > 0) ActivationKernels.swigluBackward(x.data(), x.offset(), g.data(), g.offset(), dx, dGateUp.offset(), dout.size() / n, n);
    }

    /** An elementwise kernel {@code out[i] = f(x[i])} over n elements, as in {@link ActivationKernels}. */
    @FunctionalInterface
    private interface MapKernel {
        void run(float[] x, int xo, float[] out, int oo, int n);
    }

    /** Its backward {@code dx[i] = f'(x[i]) · dout[i]}. */
    @FunctionalInterface
    private interface MapBackwardKernel {
        void run(float[] x, int xo, float[] dout, int go, float[] dx, int oo, int n);
    }

    private static Tensor map(Tensor x, MapKernel kernel, String op) {
        Tensor out = Tensor.zeros(x.shape());
        mapInto(x, out, kernel, op);
        return out;
    }

    private static void mapInto(Tensor x, Tensor out, MapKernel kernel, String op) {
        Tensor.requireSameShape(x, out, op);
        float[] o = out.contiguousData();
        Tensor xd = x.contiguous();
        kernel.run(xd.data(), xd.offset(), o, out.offset(), out.size());
    }

    private static Tensor mapBackward(Tensor x, Tensor dout, MapBackwardKernel kernel, String op) {
        Tensor dx = Tensor.zeros(x.shape());
        mapBackwardInto(x, dout, dx, kernel, op);
        return dx;
    }

    private static void mapBackwardInto(Tensor x, Tensor dout, Tensor dx, MapBackwardKernel kernel, String op) {
        Tensor.requireSameShape(x, dout, op);
        Tensor.requireSameShape(x, dx, op + " (dx)");
        float[] o = dx.contiguousData();
        Tensor xd = x.contiguous(), g = dout.contiguous();
        kernel.run(xd.data(), xd.offset(), g.data(), g.offset(), o, dx.offset(), dx.size());
    }

    /** n for a gated pair: {@code gateUp} [..., 2n] and {@code half} [..., n] with the same leading shape. */
    private static int checkGated(Tensor gateUp, Tensor half, String op) {
        int[] a = gateUp.shape(), b = half.shape();
        boolean ok = a.length == b.length && a.length > 0 && a[a.length - 1] == 2 * b[b.length - 1];
        for (int i = 0; ok && i < a.length - 1; i++) ok = a[i] == b[i];
        if (!ok) {
            throw new IllegalArgumentException(op + ": expected gate | up [..., 2n] and [..., n] with the same leading shape, got "
                    + Arrays.toString(a) + " and " + Arrays.toString(b));
        }
        return b[b.length - 1];
    }

    // ---------------------------------------------------------------- reductions

    /** Sum of all elements (float lanes per block, blocks added in double). */
    public static double sum(Tensor x) {
        Tensor d = x.contiguous();
        return ReductionKernels.sum(d.data(), d.offset(), d.size());
    }

    /** Sum of squares of all elements: the squared Frobenius (L2) norm, e.g. for gradient clipping. */
    public static double sumOfSquares(Tensor x) {
        Tensor d = x.contiguous();
        return ReductionKernels.sumOfSquares(d.data(), d.offset(), d.size());
    }

    /** Largest absolute value {@code max |x|}; NaN if any element is NaN; 0 for an empty tensor. */
    public static float maxAbs(Tensor x) {
        Tensor d = x.contiguous();
        return ReductionKernels.maxAbs(d.data(), d.offset(), d.size());
    }

    /**
     * Row-major index of the first NaN or ±∞ element, or −1 when every element is finite: the check a
     * training loop runs on its loss and gradients to name where a blow-up started.
     */
    public static int firstNonFinite(Tensor x) {
        Tensor d = x.contiguous();
        return ReductionKernels.firstNonFinite(d.data(), d.offset(), d.size());
    }

    /** True when no element is NaN or ±∞. */
    public static boolean isFinite(Tensor x) {
        return firstNonFinite(x) < 0;
    }

    /** Sum along {@code axis}, which is removed from the shape (e.g. a bias gradient: dout [T, d] summed over axis 0). */
    public static Tensor sum(Tensor x, int axis) {
        return reduce(x, axis, ReductionKernels.Kind.SUM);
    }

    /**
     * {@code acc[j] += Σ_rows x[r, j]}: x [..., d] summed over every leading position onto
     * {@code acc} [d] (contiguous), in row order. The gradient of a bias added to every position:
     * {@code db += Σ_rows dy}.
     */
    public static void sumRowsInto(Tensor x, Tensor acc) {
        int d = x.dim(-1);
        checkVector(acc, d, "sumRowsInto acc");
        float[] a = acc.contiguousData();
        Tensor xd = x.contiguous();
        if (d > 0) ReductionKernels.addColumnSums(xd.data(), xd.offset(), xd.size() / d, d, a, acc.offset());
    }

    /** Mean along {@code axis}, which is removed from the shape. */
    public static Tensor mean(Tensor x, int axis) {
        return reduce(x, axis, ReductionKernels.Kind.MEAN);
    }

    /** Maximum along {@code axis}, which is removed from the shape. */
    public static Tensor max(Tensor x, int axis) {
        return reduce(x, axis, ReductionKernels.Kind.MAX);
    }

    /** Index of the largest element of each row of the last axis (first one on ties): greedy decoding. */
    public static int[] argmax(Tensor x) {
        int d = x.dim(-1);
        Tensor xd = x.contiguous();
        int[] out = new int[xd.size() / Math.max(1, d)];
        if (d > 0) ReductionKernels.argmaxRows(xd.data(), xd.offset(), out.length, d, out);
        return out;
    }

    private static Tensor reduce(Tensor x, int axis, ReductionKernels.Kind kind) {
        int[] shape = x.shape();
        int ax = axis < 0 ? axis + shape.length : axis;
        if (ax < 0 || ax >= shape.length) {
            throw new IndexOutOfBoundsException("axis " + axis + " of a tensor of shape " + Arrays.toString(shape));
        }
        int outer = 1, inner = 1, d = shape[ax];
        for (int i = 0; i < ax; i++) outer *= shape[i];
        for (int i = ax + 1; i < shape.length; i++) inner *= shape[i];
        int[] outShape = new int[shape.length - 1];
        for (int i = 0, j = 0; i < shape.length; i++) if (i != ax) outShape[j++] = shape[i];
        Tensor out = Tensor.zeros(outShape);
        Tensor xd = x.contiguous();
        if (out.size() > 0) ReductionKernels.reduceAxis(xd.data(), xd.offset(), outer, d, inner, kind, out.data(), 0);
        return out;
    }

    // ---------------------------------------------------------------- gather

    /** Rows {@code ids} of {@code table} [V, d] as a new [n, d] tensor (embedding lookup). */
    public static Tensor gather(Tensor table, int[] ids) {
        checkIds(table, ids);
        Tensor t = table.contiguous();
        Tensor out = Tensor.zeros(ids.length, table.dim(1));
        GatherKernels.gather(t.data(), t.offset(), ids, out.data(), 0, table.dim(1));
        return out;
    }

    /** Backward of {@link #gather}: {@code dtable[ids[i]] += dout[i]} (scatter-add; repeated ids accumulate in order). */
    public static void gatherBackward(Tensor dout, int[] ids, Tensor dtable) {
        checkIds(dtable, ids);
        int d = dtable.dim(1);
        if (dout.size() != ids.length * d) {
            throw new IllegalArgumentException("gatherBackward: dout " + Arrays.toString(dout.shape()) + " is not ["
                    + ids.length + ", " + d + "]");
        }
        float[] t = dtable.contiguousData();
        Tensor g = dout.contiguous();
        GatherKernels.scatterAdd(g.data(), g.offset(), ids, t, dtable.offset(), d);
    }

    // ---------------------------------------------------------------- checks

    /** Distance between the rows of x's last axis: its width when x is contiguous, stride(0) for a row-dense 2-D view. */
    private static int rowStride(Tensor x, String op) {
        if (x.isContiguous()) return x.dim(-1);
        if (x.isRowDense2d() && x.stride(0) >= x.dim(1)) return x.stride(0);
        throw new IllegalArgumentException(op + ": expected a contiguous tensor or a row-dense 2-D view, got shape "
                + Arrays.toString(x.shape()) + " with strides " + Arrays.toString(x.strides()));
    }

    private static boolean isLast(Tensor x, int axis) {
        return axis == -1 || axis == x.rank() - 1;
    }

    private static void checkIds(Tensor table, int[] ids) {
        if (table.rank() != 2) throw new IllegalArgumentException("expected an embedding table [V, d], got " + Arrays.toString(table.shape()));
        int v = table.dim(0);
        for (int id : ids) {
            if (id < 0 || id >= v) throw new IndexOutOfBoundsException("token id " + id + " outside the vocabulary [0, " + v + ")");
        }
    }

    private static void checkVector(Tensor t, int d, String what) {
        if (t.size() != d) throw new IllegalArgumentException(what + ": expected " + d + " values, got shape " + Arrays.toString(t.shape()));
    }

    private static void checkStats(Tensor t, int rows, String what) {
        if (t != null && t.size() != rows) {
            throw new IllegalArgumentException(what + ": expected " + rows + " values, got shape " + Arrays.toString(t.shape()));
        }
    }
}
