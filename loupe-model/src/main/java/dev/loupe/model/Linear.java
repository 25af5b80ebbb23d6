package dev.loupe.model;

import dev.loupe.tensor.Tensor;
import dev.loupe.tensor.bf16.Bf16Matrix;
import dev.loupe.tensor.bf16.Bf16Products;
import dev.loupe.tensor.matmul.Matmul;
import dev.loupe.tensor.ops.Ops;

/**
 * An affine map on row vectors, {@code y = x·W + b}, with W stored [in, out] as in GPT-2's
 * {@code Conv1D} (the orientation of every {@code c_attn}, {@code c_proj} and {@code c_fc} weight in
 * a model directory).
 *
 * <p>Forward and backward side by side (llm.c's {@code matmul_forward}/{@code matmul_backward}):
 * <pre>
 *   forward:  y  = x · W + b            // [N, in] · [in, out] → [N, out]
 *   backward: dx += dy · Wᵀ             // [N, out] · [out, in] → [N, in]
 *             dW += xᵀ · dy             // [in, N] · [N, out]  → [in, out]
 *             db += Σ_rows dy           // [out]
 * </pre>
 * A frozen layer (a base model under LoRA) has no dW buffer: backward then only propagates dx.
 * An attached {@link Adapter} (e.g. a LoRA update) adds its output to y and its input gradient to
 * dx, and keeps its own parameters and gradients.
 */
public final class Linear {
    /** A trainable addition to this layer's output, run after the base map in forward and backward. */
    public interface Adapter {
        /** y [N, out] += adapter(x [N, in]). */
        void forward(Tensor x, Tensor y);

        /** Accumulates the adapter's gradients and (when dx is not null) dx [N, in] from dy [N, out]. */
        void backward(Tensor dy, Tensor x, Tensor dx);
    }

    /** W [in, out]; null when the layer holds its weight in bfloat16 ({@link #weightBf16}). */
    public final Tensor weight;
    /** W [in, out] in bfloat16 for inference ({@code --weights bf16}), else null. */
    public final Bf16Matrix weightBf16;
    /** b [out], or null for a layer without bias (attention with {@code attn_bias: false}). */
    public final Tensor bias;
    final Tensor dWeight;
    final Tensor dBias;
    private Adapter adapter;

    /** A layer over live parameter tensors and their gradients (same shapes); bias and dBias may both be null, dWeight is null when frozen. */
    public Linear(Tensor weight, Tensor bias, Tensor dWeight, Tensor dBias) {
        this.weight = weight;
        this.weightBf16 = null;
        this.bias = bias;
        this.dWeight = dWeight;
        this.dBias = dBias;
    }

    /**
     * An inference-only layer whose weight W [in, out] is held in bfloat16 (products accumulate in
     * float32, see {@link Bf16Products}); the bias stays float32. It has no weight gradient.
     */
    public Linear(Bf16Matrix weight, Tensor bias, Tensor dBias) {
        this.weight = null;
        this.weightBf16 = weight;
        this.bias = bias;
        this.dWeight = null;
        this.dBias = dBias;
    }

    /** Rows of W: the input width. */
    public int inFeatures() {
        return weight != null ? weight.dim(0) : weightBf16.rows();
    }

    /** Columns of W: the output width. */
    public int outFeatures() {
        return weight != null ? weight.dim(1) : weightBf16.cols();
    }

    /**
     * W [in, out] as float32, for analyses that read the weights: the live tensor of a float32 layer
     * (editing it edits the model); for a bfloat16 layer a new tensor widened exactly from the
     * bfloat16 values, which the caller owns (editing it changes nothing, and nothing keeps it).
     */
    public Tensor weightFloat32() {
        return weight != null ? weight : weightBf16.toTensor();
    }

    /** Columns [from, to) of W as float32 [in, to − from]: a view of a float32 weight, else the exact widening of only those columns. */
    public Tensor columnsFloat32(int from, int to) {
        return weight != null ? weight.slice(1, from, to) : weightBf16.columnsToTensor(from, to);
    }

    /** Rows [from, to) of W as float32 [to − from, out]: a view of a float32 weight, else the exact widening of only those rows. */
    public Tensor rowsFloat32(int from, int to) {
        return weight != null ? weight.slice(0, from, to) : weightBf16.rowsToTensor(from, to);
    }

    /** {@code y = x·W + b}; x [N, in], y [N, out] (overwritten). */
    public void forward(Tensor x, Tensor y) {
        if (weightBf16 != null) Bf16Products.xW(x, weightBf16, y);
        else Matmul.gemm(false, false, 1f, x, weight, 0f, y);
        if (bias != null) Ops.addInto(y, bias);
        if (adapter != null) adapter.forward(x, y);
    }

    /** Attaches (or, with null, removes) the adapter added to this layer's output. */
    public void attach(Adapter a) {
        this.adapter = a;
    }

    /** The attached adapter, or null. */
    public Adapter adapter() {
        return adapter;
    }

    /** Accumulates dW, db (if any) and (when dx is not null) dx from dy [N, out] and the forward input x [N, in]. */
    public void backward(Tensor dy, Tensor x, Tensor dx) {
        if (dx != null) Matmul.gemm(false, true, 1f, dy, weight, 1f, dx);
        if (dWeight != null) Matmul.gemm(true, false, 1f, x, dy, 1f, dWeight);
        if (dBias != null) Ops.sumRowsInto(dy, dBias);
        if (adapter != null) adapter.backward(dy, x, dx);
    }
}
