package dev.loupe.model;

import dev.loupe.LoupeException;
import dev.loupe.tensor.Parallel;
import dev.loupe.tensor.Tensor;
import dev.loupe.tensor.bf16.Bf16Matrix;
import dev.loupe.tensor.ops.Ops;

/**
 * The token embedding W_E ({@code wte.weight} [V, d_model]): token id t starts the residual stream
 * as row t of W_E.
 *
 * <pre>
 *   forward:  x[r] = W_E[ids[r]]              // [N] ids → [N, d_model]
 *   backward: dW_E[ids[r]] += dx[r]           // scatter-add: a repeated token accumulates
 * </pre>
 */
public final class Embedding {
    /** W_E [V, d_model]; null when held in bfloat16 ({@link #weightBf16}). */
    public final Tensor weight;
    /** W_E [V, d_model] in bfloat16 for inference ({@code --weights bf16}), else null. */
    public final Bf16Matrix weightBf16;
    final Tensor dWeight;

    public Embedding(Tensor weight, Tensor dWeight) {
        this.weight = weight;
        this.weightBf16 = null;
        this.dWeight = dWeight;
    }

    /** An inference-only embedding over bfloat16 W_E [V, d_model]: rows are widened (exactly) as looked up. */
    public Embedding(Bf16Matrix weight) {
        this.weight = null;
        this.weightBf16 = weight;
        this.dWeight = null;
    }

    /**
     * W_E [V, d_model] as float32, for analyses that read the weights: the live tensor of a float32
     * model; for a bfloat16 one a new, exactly widened copy the caller owns and drops (the model
     * keeps only the bfloat16 values, so a resident widening would undo the halved memory).
     */
    public Tensor weightFloat32() {
        return weight != null ? weight : weightBf16.toTensor();
    }

    /** Vocabulary size V: the rows of W_E. */
    public int vocabSize() {
        return weight != null ? weight.dim(0) : weightBf16.rows();
    }

    /** x [N, d] (overwritten) = W_E[ids]. Throws a {@link LoupeException} for an id outside [0, V). */
    public void forward(int[] ids, Tensor x) {
        int v = weight != null ? weight.dim(0) : weightBf16.rows(), d = weight != null ? weight.dim(1) : weightBf16.cols();
        for (int id : ids) {
            if (id < 0 || id >= v) throw new LoupeException("token id " + id + " is outside the vocabulary [0, " + v + ")");
        }
        if (weightBf16 != null) {
            float[] xd = x.contiguousData();
            for (int r = 0; r < ids.length; r++) weightBf16.widenRow(ids[r], xd, x.offset() + r * d);
            return;
        }
        float[] w = weight.contiguousData(), xd = x.contiguousData();
        int wo = weight.offset(), xo = x.offset();
        Parallel.forRange(ids.length, Math.max(1, 8192 / d), (from, to) -> {
            for (int r = from; r < to; r++) System.arraycopy(w, wo + ids[r] * d, xd, xo + r * d, d);
        });
    }

    /** dW_E[ids[r]] += dx[r]. */
    public void backward(int[] ids, Tensor dx) {
        if (dWeight != null) Ops.gatherBackward(dx, ids, dWeight); // null: frozen
    }
}
