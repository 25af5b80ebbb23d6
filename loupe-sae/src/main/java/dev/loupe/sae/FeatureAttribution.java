package dev.loupe.sae;

import dev.loupe.model.Gpt;
import dev.loupe.tensor.Tensor;

/**
 * Per-feature direct logit attribution at one position, the way TransformerLens attributes a
 * component: feature i contributes f_i·r_i to the residual stream (r_i = its direction mapped there by
 * {@link ResidualDirections}), read through the final LayerNorm of that position —
 * <pre>
 *   attribution_i = f_i · Σ_j (r_ij − mean(r_i)) · γ_j · W_U[target, j] / scale      // scale = ln_final.hook_scale there
 * </pre>
 * plus one term for b_dec (the decoder bias, what x̂ holds when no feature fires). For an SAE on an
 * MLP's neurons or an attention's z, the features' terms and the b_dec term add up to that MLP's or
 * attention's own attribution minus its output bias, when the SAE replaces the activation without error.
 * Direct effects only, as for components.
 *
 * @param features the attribution of each feature [d_sae] (0 where f_i = 0)
 * @param bias     the b_dec term
 */
public record FeatureAttribution(double[] features, double bias) {

    /**
     * Attribution of the target token's logit at {@code position} to each feature, from its activations
     * {@code acts} [d_sae] there and ln_final's scale there.
     */
    public static FeatureAttribution of(Gpt gpt, SparseAutoencoder sae, Tensor acts, double scale, int target) {
        String hook = SaeSplice.checkedHook(gpt, sae);
        Tensor dirs = ResidualDirections.of(gpt, hook, SaeUnits.decoderRows(sae));            // [d_sae, d_model]
        Tensor bias = Tensor.zeros(1, sae.dIn());
        for (int j = 0; j < sae.dIn(); j++) bias.set(sae.bDec().get(j) / sae.inputScale(), 0, j);
        double[] perUnit = LogitEffects.onToken(gpt, dirs, scale, target);
        double[] out = new double[sae.dSae()];
        for (int i = 0; i < out.length; i++) {
            float f = acts.get(i);
            if (f != 0f) out[i] = f * perUnit[i];
        }
        return new FeatureAttribution(out, LogitEffects.onToken(gpt, ResidualDirections.of(gpt, hook, bias), scale, target)[0]);
    }

    /**
     * The direct logit attribution of one vector v [d_model] added to the final residual stream at a
     * position whose ln_final scale is {@code scale}: Σ_j (v_j − mean(v))·γ_j·W_U[target, j] / scale.
     */
    public static double direct(Gpt gpt, Tensor vector, double scale, int target) {
        return LogitEffects.onToken(gpt, vector.reshape(1, vector.size()), scale, target)[0];
    }

    /** Indices of the {@code n} largest |attribution|, largest first. */
    public int[] strongest(int n) {
        Integer[] idx = new Integer[features.length];
        for (int i = 0; i < idx.length; i++) idx[i] = i;
        java.util.Arrays.sort(idx, (a, b) -> Double.compare(Math.abs(features[b]), Math.abs(features[a])));
        int k = 0;
        int[] out = new int[Math.min(n, idx.length)];
        for (int i = 0; i < out.length && features[idx[i]] != 0; i++) out[k++] = idx[i];
        return java.util.Arrays.copyOf(out, k);
    }
}
