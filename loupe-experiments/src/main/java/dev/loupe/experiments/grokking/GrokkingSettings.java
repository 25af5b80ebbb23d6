package dev.loupe.experiments.grokking;

/**
 * Settings of the grokking experiment; {@link #nanda()} is Nanda et al.'s setup ("Progress measures
 * for grokking via mechanistic interpretability", 2023, §3): p = 113, a one-layer ReLU transformer with
 * d_model 128, 4 heads of 32, d_mlp 512, no LayerNorm, full-batch AdamW (lr 1e-3, weight decay 1,
 * β = (0.9, 0.98)) with a 10-step linear warm-up, on 30 % of the p² pairs.
 *
 * @param p               the modulus (odd, ≥ 3): inputs "a b =" with a, b ∈ 0 … p−1, the answer (a + b) mod p
 * @param trainFraction   share of the p² pairs trained on (the rest is the test set)
 * @param steps           full-batch training steps
 * @param seed            seeds the split and the initial weights
 * @param checkpointEvery the measures are computed on a snapshot of the weights every this many steps
 * @param dModel          d_model
 * @param heads           attention heads (d_head = d_model / heads)
 * @param dMlp            MLP width (ReLU neurons)
 * @param lr              peak learning rate
 * @param weightDecay     AdamW's decoupled weight decay
 * @param beta1           AdamW β₁
 * @param beta2           AdamW β₂
 * @param warmup          linear warm-up steps
 */
public record GrokkingSettings(int p, double trainFraction, int steps, long seed, int checkpointEvery, int dModel, int heads,
                               int dMlp, double lr, double weightDecay, double beta1, double beta2, int warmup) {

    /**
     * The default number of steps: seeds 0 and 1 grokked (test accuracy ≥ 0.99) at steps 9 100 and
     * 10 200, so 15 000 leaves ≥ 45 % margin (see docs/reproductions.md §Grokking).
     */
    public static final int DEFAULT_STEPS = 15_000;

    public GrokkingSettings {
        if (p < 3 || p % 2 == 0 || p > 1000) throw new IllegalArgumentException("p must be an odd number from 3 to 999, got " + p);
        if (!(trainFraction > 0 && trainFraction < 1)) throw new IllegalArgumentException("train fraction must be in (0, 1), got " + trainFraction);
        if ((int) Math.round(trainFraction * p * p) < 1) throw new IllegalArgumentException("train fraction " + trainFraction + " leaves no training pair");
        if (steps < 1) throw new IllegalArgumentException("steps must be positive, got " + steps);
        if (checkpointEvery < 1) throw new IllegalArgumentException("checkpoint interval must be positive, got " + checkpointEvery);
        if (dModel < 1 || heads < 1 || dModel % heads != 0) throw new IllegalArgumentException("d_model " + dModel + " must be a positive multiple of heads " + heads);
        if (dMlp < 1) throw new IllegalArgumentException("d_mlp must be positive, got " + dMlp);
        if (warmup < 0) throw new IllegalArgumentException("warm-up must not be negative, got " + warmup);
    }

    /** Nanda et al.'s setup with the given run length and seed (checkpoints every 100 steps). */
    public static GrokkingSettings nanda(int steps, long seed) {
        return new GrokkingSettings(113, 0.3, steps, seed, 100, 128, 4, 512, 1e-3, 1.0, 0.9, 0.98, 10);
    }

    /** {@link #nanda(int, long)} with the default steps and seed 0. */
    public static GrokkingSettings nanda() {
        return nanda(DEFAULT_STEPS, 0);
    }

    public GrokkingSettings withP(int newP) {
        return new GrokkingSettings(newP, trainFraction, steps, seed, checkpointEvery, dModel, heads, dMlp, lr, weightDecay, beta1, beta2, warmup);
    }

    public GrokkingSettings withTrainFraction(double f) {
        return new GrokkingSettings(p, f, steps, seed, checkpointEvery, dModel, heads, dMlp, lr, weightDecay, beta1, beta2, warmup);
    }

    public GrokkingSettings withCheckpointEvery(int n) {
        return new GrokkingSettings(p, trainFraction, steps, seed, n, dModel, heads, dMlp, lr, weightDecay, beta1, beta2, warmup);
    }

    public GrokkingSettings withSize(int newDModel, int newHeads, int newDMlp) {
        return new GrokkingSettings(p, trainFraction, steps, seed, checkpointEvery, newDModel, newHeads, newDMlp, lr, weightDecay, beta1, beta2, warmup);
    }

    /** The token "=" (the last id): vocabulary p + 1. */
    public int equalsToken() {
        return p;
    }
}
