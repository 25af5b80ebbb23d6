package dev.loupe.model;

import dev.loupe.LoupeException;
import dev.loupe.tensor.Parallel;
import dev.loupe.tensor.Tensor;

/**
 * Next-token cross-entropy, mean over the N positions of a batch:
 * {@code L = (1/N) Σ_r [log Σ_j exp(z_rj) − z_r,y_r]}, computed stably (max subtracted).
 *
 * <pre>
 *   forward:  p = softmax(z)  per row          // z [N, V]
 *   backward: dz = (p − onehot(y)) / N          // written over z (the logits buffer)
 * </pre>
 * Row losses are summed in row order in double, so the result does not depend on the thread count.
 */
public final class CrossEntropy {
    private CrossEntropy() {}

    /** Mean loss of logits [N, V] against targets [N]; logits are left unchanged. */
    public static float loss(Tensor logits, int[] targets) {
        return run(logits, targets, false);
    }

    /** Mean loss, and replaces logits [N, V] by d(loss)/d(logits) = (softmax − onehot) / N. */
    public static float lossAndGradient(Tensor logits, int[] targets) {
        return run(logits, targets, true);
    }

    private static float run(Tensor logits, int[] targets, boolean gradient) {
        int v = logits.dim(1), n = logits.dim(0);
        if (targets.length != n) {
            throw new IllegalArgumentException("expected " + n + " targets, got " + targets.length);
        }
        for (int y : targets) {
            if (y < 0 || y >= v) throw new LoupeException("target token id " + y + " is outside the vocabulary [0, " + v + ")");
        }
        float[] z = logits.contiguousData();
        int zo = logits.offset();
        double[] rowLoss = new double[n];
        float invN = 1f / n;
        Parallel.forRange(n, Math.max(1, 8192 / v), (from, to) -> {
            for (int r = from; r < to; r++) {
                int o = zo + r * v;
                float max = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < v; j++) max = Math.max(max, z[o + j]);
                double sum = 0;
                for (int j = 0; j < v; j++) sum += Math.exp(z[o + j] - max);
                double logSum = Math.log(sum) + max;
                rowLoss[r] = logSum - z[o + targets[r]];
                if (gradient) {
                    for (int j = 0; j < v; j++) z[o + j] = (float) Math.exp(z[o + j] - logSum) * invN;
                    z[o + targets[r]] -= invN;
                }
            }
        });
        double total = 0;
        for (double l : rowLoss) total += l;
        return (float) (total / n);
    }
}
