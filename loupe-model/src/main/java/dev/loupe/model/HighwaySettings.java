package dev.loupe.model;

import dev.loupe.LoupeException;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * Highway-gated residual stream (SPEC §"Variants", config key {@code "loupe": {"highway": {…}}};
 * Srivastava et al. 2015). With F(x) = sublayer(LN(x)), what a plain pre-LN block adds to x, and the
 * gate T = σ(LN(x)·W_T + b_T) read from the same LN output:
 *
 * <pre>
 *   highway          y = T⊙F(x) + (1 − T)⊙x      (T ≡ 1: transform only; T ≡ 0: the identity, pure carry)
 *   gated_residual   y = x + T⊙F(x)
 * </pre>
 * Tensors {@code h.{i}.attn_gate.{weight,bias}} and {@code h.{i}.mlp_gate.{weight,bias}}: weight
 * [d_model, d_model] for a vector gate, [d_model, 1] for a scalar gate (one T per token).
 *
 * @param sublayers    which sublayers are gated
 * @param gate         one gate value per residual dimension (VECTOR) or per token (SCALAR)
 * @param mode         the coupled highway form or the gated residual form
 * @param gateBiasInit b_T at initialisation; negative values bias the block towards carrying x
 */
public record HighwaySettings(Set<Sublayer> sublayers, Gate gate, Mode mode, float gateBiasInit) {

    public enum Sublayer { ATTN, MLP }

    public enum Gate { VECTOR, SCALAR }

    public enum Mode { HIGHWAY, GATED_RESIDUAL }

    public HighwaySettings {
        if (sublayers == null || sublayers.isEmpty()) {
            throw new LoupeException("invalid model configuration: highway.sublayers must name \"attn\", \"mlp\" or both");
        }
        sublayers = Set.copyOf(EnumSet.copyOf(sublayers));
        if (gate == null) gate = Gate.VECTOR;
        if (mode == null) mode = Mode.HIGHWAY;
        if (!Float.isFinite(gateBiasInit)) {
            throw new LoupeException("invalid model configuration: highway.gate_bias_init must be a finite number, got " + gateBiasInit);
        }
    }

    /** Both sublayers gated, vector gates, the highway form, b_T = −2 (SPEC's defaults). */
    public static HighwaySettings defaults() {
        return new HighwaySettings(EnumSet.allOf(Sublayer.class), Gate.VECTOR, Mode.HIGHWAY, -2f);
    }

    /** Whether {@code s} is gated. */
    public boolean gates(Sublayer s) {
        return sublayers.contains(s);
    }

    /** The gate's output width: d_model for a vector gate, 1 for a scalar gate. */
    public int gateWidth(int dModel) {
        return gate == Gate.VECTOR ? dModel : 1;
    }

    /** The config spelling of an enum constant: attn, vector, gated_residual, … */
    public static String configName(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT);
    }
}
