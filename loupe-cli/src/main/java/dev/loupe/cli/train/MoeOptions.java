package dev.loupe.cli.train;

import dev.loupe.LoupeException;
import dev.loupe.cli.UsageException;
import dev.loupe.model.MoeSettings;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The mixture-of-experts flags of {@code train} (SPEC §"Variants"), a picocli mixin:
 * {@code --moe-experts E} turns the MLPs into mixtures of E experts; {@code --moe-top-k},
 * {@code --d-expert}, {@code --moe-router}, {@code --moe-aux-coef}, {@code --moe-z-coef},
 * {@code --moe-capacity} and {@code --moe-layers} set the rest (config.json's {@code loupe.moe}).
 */
public final class MoeOptions {
    /** The flags that define the mixture (fixed once a run has started). */
    public static final List<String> NAMES = List.of("--moe-experts", "--moe-top-k", "--d-expert", "--moe-router",
            "--moe-aux-coef", "--moe-z-coef", "--moe-capacity", "--moe-layers");

    @Option(names = "--moe-experts", paramLabel = "E",
            description = "Mixture of experts: replace each MLP (or those of --moe-layers) by E expert MLPs of the --mlp kind"
                    + " and a router that sends every position to --moe-top-k of them (default: dense MLPs).")
    Integer experts;

    @Option(names = "--moe-top-k", defaultValue = "2", paramLabel = "k",
            description = "Experts per position, 1 ≤ k ≤ E; their weights are the router's softmax renormalised over the k (default: ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--d-expert", paramLabel = "N", description = "Hidden width of each expert (default: the MLP width, --d-mlp or 4 × d-model).")
    Integer dExpert;

    @Option(names = "--moe-router", defaultValue = "softmax_topk", paramLabel = "softmax_topk|topk_softmax",
            description = "How the kept weights are computed: softmax then top-k renormalised (Mixtral), or softmax of the kept"
                    + " logits; the same weights (default: ${DEFAULT-VALUE}).")
    String router;

    @Option(names = "--moe-aux-coef", defaultValue = "0.01", paramLabel = "α",
            description = "Load-balancing loss α·E·Σ_e f_e·P_e (Switch), 0 = off (default: ${DEFAULT-VALUE}).")
    float auxCoef;

    @Option(names = "--moe-z-coef", defaultValue = "0.001", paramLabel = "β",
            description = "Router z-loss β·mean logsumexp(g)², 0 = off (default: ${DEFAULT-VALUE}).")
    float zCoef;

    @Option(names = "--moe-capacity", paramLabel = "c",
            description = "Capacity factor: an expert takes at most ⌈c·B·T·k/E⌉ slots per training step, the rest are"
                    + " dropped (counted in the progress line; a dropped position passes by the residual) (default: no limit).")
    Float capacity;

    @Option(names = "--moe-layers", paramLabel = "0,2,…", split = ",",
            description = "Only these layers' MLPs are mixtures (default: every layer).")
    List<Integer> layers;

    /** Whether any MoE flag was given without --moe-experts (a usage error). */
    private boolean strayFlags() {
        return experts == null && (topK != 2 || dExpert != null || !router.equals("softmax_topk") || auxCoef != 0.01f
                || zCoef != 0.001f || capacity != null || layers != null);
    }

    /**
     * The settings the flags describe, or null without {@code --moe-experts}; {@code mlpWidth} is the
     * default d_expert. Bad values are usage errors.
     */
    public MoeSettings settings(int mlpWidth, boolean hasMlp) {
        if (strayFlags()) throw new UsageException("the --moe-* and --d-expert flags need --moe-experts E");
        if (experts == null) return null;
        if (!hasMlp) throw new UsageException("--moe-experts needs MLPs: it cannot be combined with --attn-only");
        MoeSettings.Router r = switch (router.toLowerCase(Locale.ROOT)) {
            case "softmax_topk" -> MoeSettings.Router.SOFTMAX_TOPK;
            case "topk_softmax" -> MoeSettings.Router.TOPK_SOFTMAX;
            default -> throw new UsageException("--moe-router must be softmax_topk or topk_softmax, got " + router);
        };
        try {
            return new MoeSettings(experts, topK, dExpert != null ? dExpert : mlpWidth, r, auxCoef, zCoef, capacity,
                    layers == null ? null : new ArrayList<>(layers));
        } catch (LoupeException e) {
            throw new UsageException(e.getMessage().replace("invalid model configuration: moe.experts", "--moe-experts")
                    .replace("invalid model configuration: moe.top_k", "--moe-top-k")
                    .replace("invalid model configuration: moe.d_expert", "--d-expert")
                    .replace("invalid model configuration: moe.aux_loss_coef", "--moe-aux-coef")
                    .replace("invalid model configuration: moe.z_loss_coef", "--moe-z-coef")
                    .replace("invalid model configuration: moe.capacity_factor", "--moe-capacity")
                    .replace("invalid model configuration: moe.layers", "--moe-layers"));
        }
    }
}
