package dev.loupe.model;

import dev.loupe.LoupeException;
import dev.loupe.tensor.Parallel;
import dev.loupe.tensor.Tensor;
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
    /** W_E [V, d_model]. */
    public final Tensor weight;
    final Tensor dWeight;

    public Embedding(Tensor weight, Tensor dWeight) {
        this.weight = weight;
        this.dWeight = dWeight;
    }

    /** x [N, d] (overwritten) = W_E[ids]. Throws a {@link LoupeException} for an id outside [0, V). */
    public void forward(int[] ids, Tensor x) {
        int v = weight.dim(0), d = weight.dim(1);
        for (int id : ids) {
            if (id < 0 || id >= v) throw new LoupeException("token id " + id + " is outside the vocabulary [0, " + v + ")");
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
