package dev.loupe.cli.train;

import dev.loupe.cli.UsageException;
import dev.loupe.model.HighwaySettings;
import picocli.CommandLine.Option;

import java.util.EnumSet;
import java.util.List;
import java.util.Locale;

/**
 * The highway-gate flags of {@code train} (SPEC §"Variants", {@link HighwaySettings}), shared as a
 * picocli mixin: {@code --highway attn,mlp}, {@code --highway-gate}, {@code --highway-mode},
 * {@code --highway-bias}.
 */
public final class HighwayOptions {
    /** The flags that define the highway gates (fixed once a run has started). */
    public static final List<String> NAMES = List.of("--highway", "--highway-gate", "--highway-mode", "--highway-bias");

    @Option(names = "--highway", paramLabel = "attn,mlp", split = ",",
            description = "Gate these sublayers (attn, mlp or both): T = σ(LN(x)·W_T + b_T) scales what each adds to the "
                    + "stream (pre-LN only; default: plain residual additions).")
    List<String> sublayers;

    @Option(names = "--highway-gate", defaultValue = "vector", paramLabel = "vector|scalar",
            description = "One gate per residual dimension (vector, W_T [d, d]) or one per token (scalar, W_T [d, 1]) "
                    + "(default: ${DEFAULT-VALUE}).")
    String gate;

    @Option(names = "--highway-mode", defaultValue = "highway", paramLabel = "highway|gated_residual",
            description = "highway: y = T⊙F(x) + (1 − T)⊙x (Srivastava et al.); gated_residual: y = x + T⊙F(x) "
                    + "(default: ${DEFAULT-VALUE}).")
    String mode;

    @Option(names = "--highway-bias", defaultValue = "-2", paramLabel = "b",
            description = "Initial gate bias b_T; negative starts the blocks near carry, T ≈ σ(b) (default: ${DEFAULT-VALUE}).")
    float bias;

    /** The settings the flags describe, or null without {@code --highway}; a bad value is a usage error. */
    public HighwaySettings settings() {
        if (sublayers == null || sublayers.isEmpty()) {
            if (!gate.equals("vector") || !mode.equals("highway") || bias != -2f) {
                throw new UsageException("--highway-gate, --highway-mode and --highway-bias need --highway attn,mlp (or attn, or mlp)");
            }
            return null;
        }
        EnumSet<HighwaySettings.Sublayer> set = EnumSet.noneOf(HighwaySettings.Sublayer.class);
        for (String s : sublayers) {
            set.add(switch (s.trim().toLowerCase(Locale.ROOT)) {
                case "attn" -> HighwaySettings.Sublayer.ATTN;
                case "mlp" -> HighwaySettings.Sublayer.MLP;
                default -> throw new UsageException("--highway takes attn, mlp or attn,mlp, got " + s);
            });
        }
        HighwaySettings.Gate g = switch (gate.toLowerCase(Locale.ROOT)) {
            case "vector" -> HighwaySettings.Gate.VECTOR;
            case "scalar" -> HighwaySettings.Gate.SCALAR;
            default -> throw new UsageException("--highway-gate must be vector or scalar, got " + gate);
        };
        HighwaySettings.Mode m = switch (mode.toLowerCase(Locale.ROOT).replace('-', '_')) {
            case "highway" -> HighwaySettings.Mode.HIGHWAY;
            case "gated_residual" -> HighwaySettings.Mode.GATED_RESIDUAL;
            default -> throw new UsageException("--highway-mode must be highway or gated_residual, got " + mode);
        };
        if (!Float.isFinite(bias)) throw new UsageException("--highway-bias must be a finite number, got " + bias);
        return new HighwaySettings(set, g, m, bias);
    }
}
