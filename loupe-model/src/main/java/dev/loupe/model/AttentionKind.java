package dev.loupe.model;

import dev.loupe.LoupeException;

import java.util.Locale;

/**
 * Which function mixes the positions inside {@link Attention} (SPEC §"Variants", config keys under
 * {@code "loupe"}: {@code attention}, {@code feature_map}, {@code normalize}, {@code ls_alpha},
 * {@code ls_alpha_learned}). Every kind uses the same projections (c_attn, c_proj), so OV circuits
 * and everything built on W_V·W_O read the same weights; only the mixing weights A[t, s] differ.
 *
 * <pre>
 *   softmax        A = softmax(Q Kᵀ/√d_head + causal mask)                         (GPT-2)
 *   linear         out_t = φ(q_t)ᵀS_t / (φ(q_t)ᵀz_t + 1e-6),  S_t = Σ_{s≤t} φ(k_s)v_sᵀ, z_t = Σ_{s≤t} φ(k_s)
 *                  (normalize = false: out_t = φ(q_t)ᵀS_t);  φ = elu + 1 or the identity   (Katharopoulos et al. 2020)
 *   least_squares  out_t = q_tᵀ(αI + Σ_{s≤t} k_s k_sᵀ)⁻¹ Σ_{s≤t} k_s v_sᵀ                  (Garnelo &amp; Czarnecki)
 * </pre>
 * Linear and least-squares attention use q, k, v as projected (no 1/√d_head).
 *
 * @param kind           the mixing function
 * @param featureMap     φ of linear attention (ignored by the other kinds)
 * @param normalize      linear attention divides by φ(q_t)ᵀz_t + ε (ignored by the other kinds)
 * @param lsAlpha        α of least squares: the fixed ridge, or the initial value when learned
 * @param lsAlphaLearned least squares learns log α per head ({@code h.{i}.attn.ls_log_alpha} [n_head])
 */
public record AttentionKind(Kind kind, FeatureMap featureMap, boolean normalize, float lsAlpha, boolean lsAlphaLearned) {

    public enum Kind { SOFTMAX, LINEAR, LEAST_SQUARES }

    /** φ of linear attention: elu(x) + 1 (positive, so the normaliser is positive) or x. */
    public enum FeatureMap { ELU1, IDENTITY }

    /** GPT-2's softmax attention. */
    public static final AttentionKind SOFTMAX = new AttentionKind(Kind.SOFTMAX, FeatureMap.ELU1, true, 1f, false);

    public AttentionKind {
        if (kind == null || featureMap == null) throw new LoupeException("invalid model configuration: attention kind and feature map are required");
        // settings of another kind are meaningless: keep them at their defaults so equal models compare equal
        if (kind != Kind.LINEAR) {
            featureMap = FeatureMap.ELU1;
            normalize = true;
        }
        if (kind != Kind.LEAST_SQUARES) {
            lsAlpha = 1f;
            lsAlphaLearned = false;
        }
        if (!(lsAlpha > 0) || Float.isInfinite(lsAlpha)) {
            throw new LoupeException("invalid model configuration: ls_alpha must be a positive number, got " + lsAlpha);
        }
    }

    /** Linear attention with feature map φ, normalised or not. */
    public static AttentionKind linear(FeatureMap featureMap, boolean normalize) {
        return new AttentionKind(Kind.LINEAR, featureMap, normalize, 1f, false);
    }

    /** Least-squares attention with ridge α (fixed, or its starting value when learned). */
    public static AttentionKind leastSquares(float alpha, boolean learned) {
        return new AttentionKind(Kind.LEAST_SQUARES, FeatureMap.ELU1, true, alpha, learned);
    }

    public boolean isSoftmax() {
        return kind == Kind.SOFTMAX;
    }

    /** Whether generation keeps a constant-size state per head instead of a KV cache. */
    public boolean recurrent() {
        return kind != Kind.SOFTMAX;
    }

    /** The config / CLI spelling of the kind: softmax, linear, least_squares. */
    public String kindName() {
        return kind.name().toLowerCase(Locale.ROOT);
    }

    /** A short human description, e.g. "linear (φ = elu1, normalised)". */
    public String describe() {
        return switch (kind) {
            case SOFTMAX -> "softmax";
            case LINEAR -> "linear (φ = " + featureMap.name().toLowerCase(Locale.ROOT) + (normalize ? ", normalised)" : ", unnormalised)");
            case LEAST_SQUARES -> "least_squares (α = " + lsAlpha + (lsAlphaLearned ? ", learned per head)" : ")");
        };
    }

    /**
     * What an analysis that assumes softmax attention must say about this kind, or null for softmax:
     * the OV circuit W_V·W_O moves information the same way, but the QK circuit W_Q·W_Kᵀ is no longer
     * "where softmax(q·k/√d) looks".
     */
    public String softmaxCaveat() {
        return switch (kind) {
            case SOFTMAX -> null;
            case LINEAR -> "linear attention: the model mixes positions by φ(q)·φ(k)" + (normalize ? " / Σ" : "")
                    + " (φ = " + featureMap.name().toLowerCase(Locale.ROOT) + "), not softmax(q·k/√d_head); "
                    + "OV circuits read as usual, but QK matching scores and QK pairs describe the bilinear q·k only"
                    + (featureMap == FeatureMap.IDENTITY ? "" : ", not the feature-mapped weights");
            case LEAST_SQUARES -> "least-squares attention: the model mixes positions by q_tᵀ(αI + Σ k kᵀ)⁻¹k_s (may be negative),"
                    + " not softmax(q·k/√d_head); OV circuits read as usual, but QK matching scores and QK pairs describe"
                    + " q·k without the inverse and are only indicative";
        };
    }

    /**
     * Numbers of generation state per layer for a context of {@code positions} tokens: K and V rows
     * for softmax (2·d_model per cached position), a constant d_head·(d_head + 1) per head for linear
     * (S and z), 2·d_head² per head for least squares (H⁻¹ and G). Recurrent states are kept in float64.
     */
    public long stateNumbersPerLayer(int dModel, int nHead, long positions) {
        int dh = dModel / nHead;
        return switch (kind) {
            case SOFTMAX -> 2L * dModel * positions;
            case LINEAR -> (long) nHead * dh * (dh + 1);
            case LEAST_SQUARES -> 2L * nHead * dh * dh;
        };
    }
}
