package dev.loupe.sae;

import dev.loupe.LoupeException;

/**
 * The shape and semantics of a sparse autoencoder, as SAELens' {@code cfg.json} states them.
 *
 * @param architecture         standard, topk or jumprelu
 * @param dIn                  width of the input activation (d_model, d_mlp, or n_heads·d_head for hook_z)
 * @param dSae                 number of latents (features)
 * @param k                    latents kept per token (topk only; 0 otherwise)
 * @param applyBDecToInput     whether the encoder sees x − b_dec (SAELens' default true) or x
 * @param normalizeActivations "none" or "expected_average_only_in" (activations scaled by a constant
 *                             so their mean norm is √d_in; folded into the weights when saved)
 * @param reshapeActivations   "none" or "hook_z" (the input is [n_heads, d_head] flattened)
 * @param dtype                the weights' dtype as written in cfg.json ("float32" for files Loupe writes)
 * @param device               the device field of cfg.json ("cpu" for files Loupe writes)
 * @param metadata             model, hook and training context
 */
public record SaeConfig(Architecture architecture, int dIn, int dSae, int k, boolean applyBDecToInput,
                        String normalizeActivations, String reshapeActivations, String dtype, String device,
                        SaeMetadata metadata) {

    /** "none": activations are used as they come. */
    public static final String NORMALIZE_NONE = "none";
    /** Activations multiplied by one constant so that their mean L2 norm is √d_in (Anthropic, April 2024). */
    public static final String NORMALIZE_EXPECTED_AVERAGE = "expected_average_only_in";

    public SaeConfig {
        if (architecture == null) throw new LoupeException("SAE config: architecture is missing");
        if (dIn <= 0 || dSae <= 0) {
            throw new LoupeException("SAE config: d_in and d_sae must be positive, got d_in " + dIn + ", d_sae " + dSae);
        }
        if (architecture == Architecture.TOPK && (k <= 0 || k > dSae)) {
            throw new LoupeException("SAE config: topk needs 1 <= k <= d_sae (" + dSae + "), got k " + k);
        }
        if (architecture != Architecture.TOPK) k = 0;
        if (normalizeActivations == null) normalizeActivations = NORMALIZE_NONE;
        if (!normalizeActivations.equals(NORMALIZE_NONE) && !normalizeActivations.equals(NORMALIZE_EXPECTED_AVERAGE)) {
            throw new LoupeException("SAE config: normalize_activations '" + normalizeActivations
                    + "' is not supported (expected none or expected_average_only_in)");
        }
        if (reshapeActivations == null) reshapeActivations = "none";
        if (!reshapeActivations.equals("none") && !reshapeActivations.equals("hook_z")) {
            throw new LoupeException("SAE config: reshape_activations '" + reshapeActivations
                    + "' is not supported (expected none or hook_z)");
        }
        if (dtype == null) dtype = "float32";
        if (device == null) device = "cpu";
        if (metadata == null) metadata = SaeMetadata.of(null, null);
    }

    /** A float32/cpu config with SAELens' defaults (b_dec applied to the input, no normalisation). */
    public static SaeConfig of(Architecture architecture, int dIn, int dSae, int k, SaeMetadata metadata) {
        return new SaeConfig(architecture, dIn, dSae, k, true, NORMALIZE_NONE, "none", "float32", "cpu", metadata);
    }

    /** This config with another {@code normalize_activations}. */
    public SaeConfig withNormalizeActivations(String mode) {
        return new SaeConfig(architecture, dIn, dSae, k, applyBDecToInput, mode, reshapeActivations, dtype, device, metadata);
    }

    /** This config with other metadata. */
    public SaeConfig withMetadata(SaeMetadata m) {
        return new SaeConfig(architecture, dIn, dSae, k, applyBDecToInput, normalizeActivations, reshapeActivations,
                dtype, device, m);
    }
}
