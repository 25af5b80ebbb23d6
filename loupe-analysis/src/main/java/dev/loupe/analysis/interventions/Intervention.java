package dev.loupe.analysis.interventions;

import dev.loupe.model.Gpt;
import dev.loupe.model.Hook;
import dev.loupe.model.Hooks;
import dev.loupe.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * A change to a forward pass: a {@link Hook} at one named hook point. {@link Ablation},
 * {@link Patching} and {@link Steering} make them; {@link #run} applies some for one pass and
 * detaches them afterwards, whatever happens.
 */
public record Intervention(String hookName, Hook hook) {

    /** Logits [B, T, V] (a copy) of ids [B·T] with {@code interventions} attached, in order, for this pass only. */
    public static Tensor run(Gpt gpt, int[] ids, int batch, int seqLen, List<Intervention> interventions) {
        List<Hooks.Handle> handles = new ArrayList<>();
        try {
            for (Intervention i : interventions) handles.add(gpt.hooks().add(i.hookName, i.hook));
            return gpt.logits(ids, batch, seqLen).copy();
        } finally {
            for (Hooks.Handle h : handles) h.close();
        }
    }

    /** {@link #run} with one or more interventions. */
    public static Tensor run(Gpt gpt, int[] ids, int batch, int seqLen, Intervention... interventions) {
        return run(gpt, ids, batch, seqLen, List.of(interventions));
    }

    /**
     * Mean next-token loss (nats) of one sequence ids [T] with {@code interventions} attached, for
     * this pass only (TransformerLens's {@code run_with_hooks(..., return_type="loss")}).
     */
    public static double loss(Gpt gpt, int[] ids, List<Intervention> interventions) {
        return Metrics.loss(ids).applyAsDouble(run(gpt, ids, 1, ids.length, interventions));
    }
}
