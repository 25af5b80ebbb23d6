package dev.loupe.cli.train;

import dev.loupe.LoupeException;
import dev.loupe.cli.UsageException;
import dev.loupe.model.AttentionKind;
import picocli.CommandLine.Option;

import java.util.List;
import java.util.Locale;

/**
 * The attention-kind flags of {@code train} (SPEC §"Variants"), shared as a picocli mixin:
 * {@code --attention softmax|linear|least_squares}, {@code --feature-map}, {@code --no-normalize},
 * {@code --ls-alpha}, {@code --ls-alpha-learned}.
 */
public final class AttentionOptions {
    /** The flags that define the attention kind (fixed once a run has started). */
    public static final List<String> NAMES = List.of("--attention", "--feature-map", "--no-normalize", "--ls-alpha",
            "--ls-alpha-learned");

    @Option(names = "--attention", defaultValue = "softmax", paramLabel = "KIND",
            description = "Attention kind: softmax (GPT-2) | linear (φ(q)ᵀΣφ(k)vᵀ, O(T·d_head²), a constant-size state"
                    + " instead of a KV cache) | least_squares (qᵀ(αI + Σkkᵀ)⁻¹Σkvᵀ) (default: ${DEFAULT-VALUE}).")
    String attention;

    @Option(names = "--feature-map", defaultValue = "elu1", paramLabel = "elu1|identity",
            description = "Linear attention's φ: elu1 = elu(x) + 1 or identity (default: ${DEFAULT-VALUE}).")
    String featureMap;

    @Option(names = "--no-normalize", description = "Linear attention without the denominator φ(q_t)ᵀΣφ(k_s) + 1e-6.")
    boolean noNormalize;

    @Option(names = "--ls-alpha", defaultValue = "1.0", paramLabel = "α",
            description = "Least-squares ridge α > 0; with --ls-alpha-learned its starting value (default: ${DEFAULT-VALUE}).")
    float lsAlpha;

    @Option(names = "--ls-alpha-learned", description = "Least squares: learn log α per head (h.{i}.attn.ls_log_alpha).")
    boolean lsAlphaLearned;

    /** The kind the flags describe; a bad value or a flag of another kind is a usage error. */
    public AttentionKind kind() {
        return parse(attention, featureMap, !noNormalize, lsAlpha, lsAlphaLearned);
    }

    static AttentionKind parse(String attention, String featureMap, boolean normalize, float alpha, boolean learned) {
        AttentionKind.Kind kind = switch (attention.toLowerCase(Locale.ROOT)) {
            case "softmax" -> AttentionKind.Kind.SOFTMAX;
            case "linear" -> AttentionKind.Kind.LINEAR;
            case "least_squares", "least-squares" -> AttentionKind.Kind.LEAST_SQUARES;
            default -> throw new UsageException("--attention must be softmax, linear or least_squares, got " + attention);
        };
        AttentionKind.FeatureMap phi = switch (featureMap.toLowerCase(Locale.ROOT)) {
            case "elu1" -> AttentionKind.FeatureMap.ELU1;
            case "identity" -> AttentionKind.FeatureMap.IDENTITY;
            default -> throw new UsageException("--feature-map must be elu1 or identity, got " + featureMap);
        };
        if (kind != AttentionKind.Kind.LINEAR && (phi != AttentionKind.FeatureMap.ELU1 || !normalize)) {
            throw new UsageException("--feature-map and --no-normalize apply to --attention linear only");
        }
        if (kind != AttentionKind.Kind.LEAST_SQUARES && (alpha != 1f || learned)) {
            throw new UsageException("--ls-alpha and --ls-alpha-learned apply to --attention least_squares only");
        }
        try {
            return new AttentionKind(kind, phi, normalize, alpha, learned);
        } catch (LoupeException e) {
            throw new UsageException(e.getMessage().replace("invalid model configuration: ls_alpha", "--ls-alpha"));
        }
    }
}
