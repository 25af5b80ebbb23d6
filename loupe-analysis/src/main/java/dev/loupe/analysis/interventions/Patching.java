package dev.loupe.analysis.interventions;

import dev.loupe.LoupeException;
import dev.loupe.model.ActivationCache;
import dev.loupe.model.Gpt;
import dev.loupe.model.HookPoints;
import dev.loupe.tensor.Tensor;

import java.util.function.ToDoubleFunction;

/**
 * Activation patching (causal tracing; Meng et al., 2022; Wang et al., 2022): run the model on one
 * input while copying in, at one hook point, position and/or head, the activation another input
 * produced. With a clean run and a corrupted one (same shape, e.g. one name swapped), patching
 * corrupted activations into the clean run shows which locations carry the information the
 * corruption destroys (and patching clean into corrupted, which restore it).
 *
 * <p>Where "position" and "head" sit depends on the hook's layout:
 * <ul>
 *   <li>[B, T, H, ·] ({@code attn.hook_q|k|v|z|result}): position = dim 1, head = dim 2;</li>
 *   <li>[B, H, T, T] ({@code attn.hook_attn_scores|hook_pattern}): head = dim 1, position = query (dim 2);</li>
 *   <li>everything else, [B, T, ·]: position = dim 1; no head.</li>
 * </ul>
 * {@link #ALL} selects every position or head; every batch row is patched.
 */
public final class Patching {
    private Patching() {}

    /** Every position / every head. */
    public static final int ALL = -1;

    /** Copies {@code source}'s activation at {@code hookName} into the run, at {@code position} and {@code head} (or {@link #ALL}). */
    public static Intervention patch(String hookName, ActivationCache source, int position, int head) {
        Tensor src = source.get(hookName);
        int[] dims = dims(hookName);
        if (head != ALL && dims[1] < 0) {
            throw new LoupeException("hook " + hookName + " has no head dimension: patch it with head = ALL");
        }
        Tensor from = select(src, dims, position, head);
        return new Intervention(hookName, (a, n) -> {
            if (!java.util.Arrays.equals(a.shape(), src.shape())) {
                throw new LoupeException("patching " + hookName + ": the source run had shape " + java.util.Arrays.toString(src.shape())
                        + ", this run " + java.util.Arrays.toString(a.shape()) + " (patch between runs of the same B and T)");
            }
            from.copyInto(select(a, dims, position, head));
            return a;
        });
    }

    /**
     * The layer × position grid: {@code metric(logits)} of the run on ids with {@code blocks.{l}.{hook}}
     * (e.g. "hook_resid_pre") patched from {@code source} at one position, for every layer l and position t.
     * [n_layer][T].
     */
    public static double[][] sweepPositions(Gpt gpt, int[] ids, int batch, int seqLen, ActivationCache source, String hook,
                                            ToDoubleFunction<Tensor> metric) {
        int layers = gpt.config().nLayer();
        double[][] grid = new double[layers][seqLen];
        for (int l = 0; l < layers; l++)
            for (int t = 0; t < seqLen; t++)
                grid[l][t] = metric.applyAsDouble(Intervention.run(gpt, ids, batch, seqLen,
                        patch(HookPoints.name(l, hook), source, t, ALL)));
        return grid;
    }

    /**
     * The layer × head grid: the metric with head h of block l patched at every position, through the
     * per-head hook {@code attnHook} (e.g. "attn.hook_z", or "attn.hook_pattern"). [n_layer][n_head].
     */
    public static double[][] sweepHeads(Gpt gpt, int[] ids, int batch, int seqLen, ActivationCache source, String attnHook,
                                        ToDoubleFunction<Tensor> metric) {
        int layers = gpt.config().nLayer(), heads = gpt.config().nHead();
        double[][] grid = new double[layers][heads];
        for (int l = 0; l < layers; l++)
            for (int h = 0; h < heads; h++)
                grid[l][h] = metric.applyAsDouble(Intervention.run(gpt, ids, batch, seqLen,
                        patch(HookPoints.name(l, attnHook), source, ALL, h)));
        return grid;
    }

    /** The source cache for a sweep: the run on {@code ids} keeping {@code blocks.*.{hook}} only. */
    public static ActivationCache sourceCache(Gpt gpt, int[] ids, int batch, int seqLen, String hook) {
        return gpt.runWithCache(ids, batch, seqLen, n -> n.startsWith("blocks.") && n.endsWith("." + hook)).cache();
    }

    /**
     * Logit difference logits[b, position, good] − logits[b, position, bad], averaged over the batch:
     * the usual metric (e.g. IOI: correct name minus wrong name at the last position).
     */
    public static ToDoubleFunction<Tensor> logitDifference(int position, int good, int bad) {
        return logits -> {
            double s = 0;
            for (int b = 0; b < logits.dim(0); b++) s += logits.get(b, position, good) - logits.get(b, position, bad);
            return s / logits.dim(0);
        };
    }

    /** {position dim, head dim} of a hook's layout (head dim −1 when it has none). */
    private static int[] dims(String hookName) {
        if (hookName.endsWith("hook_attn_scores") || hookName.endsWith("hook_pattern")) return new int[] {2, 1};
        if (hookName.contains(".attn.hook_")) return new int[] {1, 2};
        return new int[] {1, -1};
    }

    private static Tensor select(Tensor t, int[] dims, int position, int head) {
        Tensor v = t;
        if (position != ALL) v = v.slice(dims[0], position, position + 1);
        if (head != ALL) v = v.slice(dims[1], head, head + 1);
        return v;
    }
}
