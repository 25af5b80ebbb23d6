package dev.loupe.analysis.interventions;

import dev.loupe.LoupeException;
import dev.loupe.model.GptConfig;
import dev.loupe.model.HookPoints;
import dev.loupe.tensor.Tensor;

import java.util.List;

/**
 * Interventions on one expert of a mixture-of-experts layer, through the router's hook points
 * ({@code blocks.{l}.mlp.hook_expert_indices}, which fires first, and {@code hook_expert_weights}):
 * <ul>
 *   <li>{@link #zero}: expert e's contribution is removed — every (position, choice) slot that chose
 *       e gets weight 0, the other chosen experts keep their weights (not renormalised), so the layer
 *       outputs MoE(u) − diag(R[:, e])·Expert_e(u): the expert's own residual term is gone, nothing
 *       else changes;</li>
 *   <li>{@link #force}: every position is sent to expert e alone with weight 1 — the layer outputs
 *       Expert_e(u) for all positions.</li>
 * </ul>
 * Use them like any other {@link Intervention}: {@code Intervention.run(gpt, ids, 1, T, ExpertIntervention.zero(c, 0, 3))}.
 */
public final class ExpertIntervention {
    private ExpertIntervention() {}

    /** The interventions that remove expert {@code expert}'s contribution in layer {@code layer}. */
    public static List<Intervention> zero(GptConfig c, int layer, int expert) {
        check(c, layer, expert);
        float[][] chosen = new float[1][];
        Intervention remember = new Intervention(HookPoints.name(layer, "mlp.hook_expert_indices"), (idx, n) -> {
            chosen[0] = idx.toArray();                                   // [B·T·k], after any earlier edit
            return idx;
        });
        Intervention drop = new Intervention(HookPoints.name(layer, "mlp.hook_expert_weights"), (w, n) -> {
            float[] d = w.data();
            int o = w.offset();
            for (int s = 0; s < chosen[0].length; s++) if (chosen[0][s] == expert) d[o + s] = 0f;
            return w;
        });
        return List.of(remember, drop);
    }

    /** The interventions that send every position of layer {@code layer} to expert {@code expert} alone, weight 1. */
    public static List<Intervention> force(GptConfig c, int layer, int expert) {
        check(c, layer, expert);
        int k = c.moe().topK();
        Intervention route = new Intervention(HookPoints.name(layer, "mlp.hook_expert_indices"), (idx, n) -> idx.fill(expert));
        Intervention weigh = new Intervention(HookPoints.name(layer, "mlp.hook_expert_weights"), (w, n) -> {
            Tensor flat = w.reshape(w.size() / k, k);
            for (int t = 0; t < flat.dim(0); t++) for (int j = 0; j < k; j++) flat.set(j == 0 ? 1f : 0f, t, j);
            return w;
        });
        return List.of(route, weigh);
    }

    /** Refuses a layer that is not a mixture or an expert it does not have. */
    static void check(GptConfig c, int layer, int expert) {
        if (layer < 0 || layer >= c.nLayer()) throw new LoupeException("L" + layer + "E" + expert + ": the model has layers 0–" + (c.nLayer() - 1));
        if (!c.isMoeLayer(layer)) throw new LoupeException("L" + layer + "E" + expert + ": layer " + layer + "'s MLP is not a mixture of experts");
        if (expert < 0 || expert >= c.moe().experts()) {
            throw new LoupeException("L" + layer + "E" + expert + ": the mixture has experts 0–" + (c.moe().experts() - 1));
        }
    }
}
