package dev.loupe.model;

import dev.loupe.LoupeException;
import dev.loupe.tensor.Tensor;
import dev.loupe.tensor.ops.Ops;

/**
 * Next-token cross-entropy, mean over the N positions of a batch:
 * {@code L = (1/N) Σ_r [log Σ_j exp(z_rj) − z_r,y_r]}, computed stably (max subtracted).
 *
 * <pre>
 *   forward:  p = softmax(z)  per row          // z [N, V]
 *   backward: dz = (p − onehot(y)) / N          // written over z (the logits buffer)
 * </pre>
 * The model's view of {@link Ops#crossEntropy}: targets outside the vocabulary are a
 * {@link LoupeException} (they come from the user's token files), and the gradient replaces the
 * logits so that the loss head needs no second [N, V] buffer (llm.c does the same). Row losses are
 * summed in row order in double, so the result does not depend on the thread count.
 */
public final class CrossEntropy {
    private CrossEntropy() {}

    /** Mean loss of logits [N, V] against targets [N]; logits are left unchanged. */
    public static float loss(Tensor logits, int[] targets) {
        checkTargets(logits, targets);
        return (float) Ops.crossEntropy(logits, targets, null);
    }

    /** Mean loss, and replaces logits [N, V] by d(loss)/d(logits) = (softmax − onehot) / N. */
    public static float lossAndGradient(Tensor logits, int[] targets) {
        checkTargets(logits, targets);
        return (float) Ops.crossEntropyWithGradientInPlace(logits, targets, 1f);   // logits ← (p − onehot) / N
    }

    private static void checkTargets(Tensor logits, int[] targets) {
        int v = logits.dim(1), n = logits.dim(0);
        if (targets.length != n) {
            throw new IllegalArgumentException("expected " + n + " targets, got " + targets.length);
        }
        for (int y : targets) {
            if (y < 0 || y >= v) throw new LoupeException("target token id " + y + " is outside the vocabulary [0, " + v + ")");
        }
    }
}
