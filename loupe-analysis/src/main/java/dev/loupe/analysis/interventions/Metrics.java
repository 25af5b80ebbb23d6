package dev.loupe.analysis.interventions;

import dev.loupe.tensor.Tensor;

import java.util.function.ToDoubleFunction;

/**
 * The numbers an intervention is judged by, as functions of the logits [B, T, V] of the run.
 */
public final class Metrics {
    private Metrics() {}

    /**
     * Mean next-token cross-entropy (nats) of logits [1, T, V] on ids [T]: position t predicts
     * ids[t + 1], for t &lt; T − 1 (what {@link dev.loupe.model.Gpt#loss} computes), in double.
     */
    public static ToDoubleFunction<Tensor> loss(int[] ids) {
        if (ids.length < 2) throw new IllegalArgumentException("a loss needs at least 2 tokens, got " + ids.length);
        return logits -> {
            int v = logits.dim(2);
            double sum = 0;
            for (int t = 0; t + 1 < ids.length; t++) {
                double max = Double.NEGATIVE_INFINITY;
                for (int k = 0; k < v; k++) max = Math.max(max, logits.get(0, t, k));
                double z = 0;
                for (int k = 0; k < v; k++) z += Math.exp(logits.get(0, t, k) - max);
                sum += max + Math.log(z) - logits.get(0, t, ids[t + 1]);
            }
            return sum / (ids.length - 1);
        };
    }

    /** logits[·, position, target] − logits[·, position, counterfactual], averaged over the batch. */
    public static ToDoubleFunction<Tensor> logitDifference(int position, int target, int counterfactual) {
        return Patching.logitDifference(position, target, counterfactual);
    }

    /** (m − corrupted) / (clean − corrupted): 1 = the clean run's value, 0 = the corrupted run's (TransformerLens's patching metric). */
    public static double normalise(double m, double clean, double corrupted) {
        return (m - corrupted) / (clean - corrupted);
    }
}
