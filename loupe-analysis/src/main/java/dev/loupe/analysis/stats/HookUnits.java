package dev.loupe.analysis.stats;

import dev.loupe.LoupeException;
import dev.loupe.model.GptConfig;
import dev.loupe.model.HookPoint;
import dev.loupe.model.HookPoints;
import dev.loupe.tensor.Tensor;

import java.io.Serializable;

/**
 * What a "unit" is at a hook point, for corpus statistics: a position-major activation
 * {@code [B, T, n]} has n units (MLP neurons of {@code mlp.hook_post}, residual directions of
 * {@code hook_resid_*}); a per-head activation {@code [B, T, heads, d]} ({@code attn.hook_z},
 * {@code hook_q|k|v}, {@code hook_result}) has one unit per head whose value is the L2 norm of its
 * d-vector. Attention patterns ({@code [B, heads, query, key]}) have no per-position unit and are
 * refused.
 *
 * @param hook      the hook name, e.g. {@code blocks.0.mlp.hook_post}
 * @param units     number of units n
 * @param width     numbers per unit and position: 1, or d for a per-head norm
 * @param norm      whether a unit's value is the L2 norm of its width numbers (per-head hooks)
 */
public record HookUnits(String hook, int units, int width, boolean norm) implements Serializable {
    /** The units of {@code hook} in a model of configuration {@code c}; an unknown or pattern hook is an error. */
    public static HookUnits of(GptConfig c, String hook) {
        for (HookPoint p : HookPoints.table(c, 1, 2)) {
            if (!p.name().equals(hook)) continue;
            int[] s = p.shape();
            if (s[0] == HookPoints.ROUTED) {
                throw new LoupeException("hook " + hook + " has a row per position routed to the expert, not per position of the text; "
                        + "use blocks.L.mlp.hook_router_logits, hook_expert_weights or hook_mlp_out");
            }
            if (hook.endsWith("hook_attn_scores") || hook.endsWith("hook_pattern")) {
                throw new LoupeException("hook " + hook + " is [head, query, key]: it has no value per position; "
                        + "use blocks.L.attn.hook_z for per-head norms");
            }
            return s.length == 3 ? new HookUnits(hook, s[2], 1, false) : new HookUnits(hook, s[2], s[3], true);
        }
        throw new LoupeException("hook " + hook + " does not exist in this model (see 'loupe hooks'); e.g. blocks.0.mlp.hook_post");
    }

    /**
     * The unit values of one sequence from its activation {@code [1, T, n]} or {@code [1, T, n, d]}:
     * a row-major {@code [T, n]} array. Norms are summed in double in index order, then rounded.
     */
    public float[] values(Tensor activation) {
        float[] a = activation.contiguousData();
        int t = activation.dim(1);
        float[] out = new float[t * units];                  // [T, n]
        if (!norm) {
            System.arraycopy(a, 0, out, 0, out.length);
            return out;
        }
        for (int i = 0; i < t * units; i++) {
            double s = 0;
            for (int k = 0, o = i * width; k < width; k++) s += (double) a[o + k] * a[o + k];
            out[i] = (float) Math.sqrt(s);
        }
        return out;
    }
}
