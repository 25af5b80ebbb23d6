package dev.loupe.analysis.circuits;

import dev.loupe.tensor.Tensor;

import java.util.SplittableRandom;

/**
 * What a {@link Composition} score looks like by chance: the mean and standard deviation of the
 * score between random matrices of the same shapes as a model's, L = G₁·G₂ and R = G₃·G₄ with i.i.d.
 * Gaussian factors [d_model, d_head] and [d_head, d_model] (for K-composition R is transposed, as for
 * real heads). The score is scale-free, so the Gaussians' variance does not matter. A real pair's
 * score reads as "above chance" when it exceeds mean + a few std; for d_head ≪ d_model random
 * low-rank matrices are nearly orthogonal and the mean is small, about √(d_head / d_model)·(something
 * below 1) — the number here is measured, not assumed.
 *
 * @param kind  which composition
 * @param mean  mean score over the draws
 * @param std   sample standard deviation over the draws
 * @param draws number of random (L, R) pairs
 */
public record CompositionBaseline(Composition kind, double mean, double std, int draws) {

    /** Default number of draws, used by every view that prints a z (circuits, reproduce induction): 256 pin the std to about 5 %. */
    public static final int DEFAULT_DRAWS = 256;

    /** The baseline of one kind for d_model and d_head, from {@code draws} seeded draws (same seed, same numbers). */
    public static CompositionBaseline of(Composition kind, int dModel, int dHead, int draws, long seed) {
        if (draws < 2) throw new IllegalArgumentException("a baseline needs at least 2 draws, got " + draws);
        SplittableRandom seeds = new SplittableRandom(seed ^ (0x9E3779B97F4A7C15L * (kind.ordinal() + 1)));
        double sum = 0, sumSq = 0;
        for (int i = 0; i < draws; i++) {
            FactoredMatrix left = random(seeds, dModel, dHead);
            FactoredMatrix right = random(seeds, dModel, dHead);
            if (kind == Composition.K) right = right.transpose();
            double s = Composition.score(left, right);
            sum += s;
            sumSq += s * s;
        }
        double mean = sum / draws;
        double var = Math.max(0, (sumSq - draws * mean * mean) / (draws - 1));
        return new CompositionBaseline(kind, mean, Math.sqrt(var), draws);
    }

    /** How many standard deviations {@code score} lies above the mean (NaN when std is 0). */
    public double zScore(double score) {
        return std == 0 ? Double.NaN : (score - mean) / std;
    }

    private static FactoredMatrix random(SplittableRandom seeds, int dModel, int dHead) {
        return new FactoredMatrix(Tensor.randn(seeds.nextLong(), 1f, dModel, dHead), Tensor.randn(seeds.nextLong(), 1f, dHead, dModel));
    }
}
