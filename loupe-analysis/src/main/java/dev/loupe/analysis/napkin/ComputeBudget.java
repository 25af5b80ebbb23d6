package dev.loupe.analysis.napkin;

import java.util.List;

/**
 * Training compute for a token budget, and the Chinchilla reading of it (Hoffmann et al., 2022):
 * compute-optimal training uses about 20 tokens per parameter, and since C ≈ 6·N·D with N ∝ D,
 * a k× larger compute budget is best spent as √k× more parameters and √k× more tokens (seed 000's
 * 4× / 16× / 100× table).
 */
public final class ComputeBudget {
    /** Chinchilla's rule of thumb: tokens per parameter at the compute-optimal point. */
    public static final double TOKENS_PER_PARAM = 20;

    private ComputeBudget() {}

    /** Chinchilla-optimal training tokens for N parameters. */
    public static double chinchillaTokens(long params) {
        return TOKENS_PER_PARAM * params;
    }

    /** Total training FLOPs for {@code tokens} tokens at {@code flopsPerToken}. */
    public static double trainingFlops(double flopsPerToken, double tokens) {
        return flopsPerToken * tokens;
    }

    /** Seconds to do {@code flops} at a sustained rate of {@code flopsPerSecond}. */
    public static double seconds(double flops, double flopsPerSecond) {
        return flops / flopsPerSecond;
    }

    /** One row of the compute split table: for a compute factor, the parameter and token factors. */
    public record Split(double computeFactor, double paramFactor, double tokenFactor, double params, double tokens) {}

    /** The seed's table for 4×, 16×, 100× compute starting from N parameters at the Chinchilla point. */
    public static List<Split> splits(long params) {
        return List.of(4.0, 16.0, 100.0).stream().map(c -> {
            double s = Math.sqrt(c);
            return new Split(c, s, s, s * params, s * chinchillaTokens(params));
        }).toList();
    }
}
