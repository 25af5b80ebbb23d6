package dev.loupe.analysis.interventions;

import dev.loupe.model.ActivationCache;
import dev.loupe.model.Gpt;
import dev.loupe.tensor.Tensor;

import java.util.List;
import java.util.function.ToDoubleFunction;

/** Ablating one head at a time: the metric with each head knocked out, [n_layer][n_head]. */
public final class HeadAblation {
    private HeadAblation() {}

    /**
     * metric(logits) of the run on ids [T] with head h of layer l ablated, for every (l, h); zero-ablation
     * when {@code reference} is null, else mean-ablation over it (holding every {@code attn.hook_z}).
     */
    public static double[][] everyHead(Gpt gpt, int[] ids, ActivationCache reference, ToDoubleFunction<Tensor> metric) {
        var c = gpt.config();
        double[][] grid = new double[c.nLayer()][c.nHead()];
        for (int l = 0; l < c.nLayer(); l++) {
            for (int h = 0; h < c.nHead(); h++) {
                List<Intervention> knock = Component.head(l, h).ablation(c, reference);
                grid[l][h] = metric.applyAsDouble(Intervention.run(gpt, ids, 1, ids.length, knock));
            }
        }
        return grid;
    }

    /** The reference run for mean-ablation: the run on ids [T] keeping the hooks {@code names}. */
    public static ActivationCache reference(Gpt gpt, int[] ids, List<String> names) {
        return gpt.runWithCache(ids, 1, ids.length, names::contains).cache();
    }
}
