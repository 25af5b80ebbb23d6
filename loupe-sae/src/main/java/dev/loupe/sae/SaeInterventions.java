package dev.loupe.sae;

import dev.loupe.LoupeException;
import dev.loupe.analysis.interventions.Intervention;
import dev.loupe.tensor.Tensor;

/**
 * Feature-level interventions, as {@link Intervention}s that {@link Intervention#run} applies like
 * the head and neuron ones:
 * <ul>
 *   <li>steering: x ← x + α·W_dec[i] at the SAE's hook, every position (needs no splice; with one
 *       spliced at the same hook, attach the splice first and the steering adds to its output);</li>
 *   <li>ablation: f_i ← 0 at {@code {hook}.hook_sae_acts_post} of a {@link SaeSplice} — with the
 *       error term, exactly f_i·W_dec[i] is taken out of the model's activation.</li>
 * </ul>
 */
public final class SaeInterventions {
    private SaeInterventions() {}

    /** x ← x + α·W_dec[feature]/s at the SAE's hook (activation [B, T, d_in], hook_z flattened). */
    public static Intervention steer(SparseAutoencoder sae, int feature, float alpha) {
        check(sae, feature);
        Tensor row = SaeUnits.decoderRows(sae).select(0, feature).copy();      // [d_in]
        String hook = sae.config().metadata().hookName();
        if (hook == null) throw new LoupeException("the SAE's cfg.json names no hook (metadata.hook_name)");
        return new Intervention(hook, (x, n) -> {
            int rows = x.dim(0) * x.dim(1), d = row.size();
            Tensor v = x.contiguous();
            float[] a = v.data(), r = row.data();
            int off = v.offset();
            for (int i = 0; i < rows; i++) for (int j = 0; j < d; j++) a[off + i * d + j] += alpha * r[j];
            return v == x ? x : v.reshape(x.shape());
        });
    }

    /** f_feature ← 0 in the splice's {@code hook_sae_acts_post} [B, T, d_sae]. */
    public static Intervention ablate(SaeSplice splice, int feature) {
        check(splice.sae(), feature);
        return new Intervention(splice.name("hook_sae_acts_post"), (f, n) -> {
            f.slice(2, feature, feature + 1).fill(0f);
            return f;
        });
    }

    private static void check(SparseAutoencoder sae, int feature) {
        if (feature < 0 || feature >= sae.dSae()) {
            throw new LoupeException("feature " + feature + " is not in [0, " + sae.dSae() + ")");
        }
    }
}
