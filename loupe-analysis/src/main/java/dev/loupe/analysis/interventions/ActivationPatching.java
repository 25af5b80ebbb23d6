package dev.loupe.analysis.interventions;

import dev.loupe.LoupeException;
import dev.loupe.model.ActivationCache;
import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.tensor.Tensor;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.ToDoubleFunction;

/**
 * The standard activation-patching sweeps of TransformerLens's {@code patching} module
 * ({@code get_act_patch_resid_pre}, {@code …_attn_out}, {@code …_mlp_out}, {@code …_attn_head_out_all_pos}):
 * the corrupted input is run with one activation copied from the clean run, and each result is
 * normalised to (patched − corrupted) / (clean − corrupted), so 1 = clean behaviour restored, 0 = none.
 */
public final class ActivationPatching {
    private ActivationPatching() {}

    /**
     * @param clean      the metric of the clean run
     * @param corrupted  the metric of the corrupted run
     * @param byPosition hook ("resid_pre", "attn_out", "mlp_out") → normalised [n_layer][T]
     * @param heads      normalised [n_layer][n_head], each head's z patched at every position
     */
    public record Result(double clean, double corrupted, Map<String, double[][]> byPosition, double[][] heads) {}

    /** Runs every sweep on clean and corrupted ids [T] (same length); {@code progress} hears one line per sweep. */
    public static Result run(Gpt gpt, int[] clean, int[] corrupted, ToDoubleFunction<Tensor> metric, Consumer<String> progress) {
        if (clean.length != corrupted.length) {
            throw new LoupeException("clean and corrupted runs need the same number of tokens, got " + clean.length + " and " + corrupted.length);
        }
        int t = clean.length;
        GptConfig c = gpt.config();
        double cleanValue = metric.applyAsDouble(gpt.logits(clean, 1, t).copy());
        double corruptedValue = metric.applyAsDouble(gpt.logits(corrupted, 1, t).copy());
        Map<String, String> hooks = new LinkedHashMap<>();
        hooks.put("resid_pre", "hook_resid_pre");
        hooks.put("attn_out", "hook_attn_out");
        if (c.mlp() != GptConfig.Mlp.NONE) hooks.put("mlp_out", "hook_mlp_out");
        Map<String, double[][]> grids = new LinkedHashMap<>();
        for (var e : hooks.entrySet()) {
            progress.accept("patching " + e.getValue() + ": " + c.nLayer() + " layers × " + t + " positions");
            ActivationCache source = Patching.sourceCache(gpt, clean, 1, t, e.getValue());
            grids.put(e.getKey(), normalise(Patching.sweepPositions(gpt, corrupted, 1, t, source, e.getValue(), metric),
                    cleanValue, corruptedValue));
        }
        progress.accept("patching attn.hook_z: " + c.nLayer() + " layers × " + c.nHead() + " heads");
        ActivationCache z = Patching.sourceCache(gpt, clean, 1, t, "attn.hook_z");
        double[][] heads = normalise(Patching.sweepHeads(gpt, corrupted, 1, t, z, "attn.hook_z", metric), cleanValue, corruptedValue);
        return new Result(cleanValue, corruptedValue, grids, heads);
    }

    private static double[][] normalise(double[][] g, double clean, double corrupted) {
        for (double[] row : g) for (int j = 0; j < row.length; j++) row[j] = Metrics.normalise(row[j], clean, corrupted);
        return g;
    }
}
