package dev.loupe.train;

/**
 * The learning rate at each step: linear warm-up, then cosine decay to {@code minLr} over the run,
 * or constant after warm-up. The formula is nanoGPT's {@code get_lr} with {@code lr_decay_iters}
 * = {@code steps}, for the 0-based step index {@code it}:
 *
 * <pre>
 *   it &lt; warmup:          lr · (it + 1) / (warmup + 1)
 *   constant schedule:    lr
 *   cosine schedule:      r = (it − warmup) / (steps − warmup)          (0 ≤ r &lt; 1)
 *                         minLr + ½·(1 + cos(π·r)) · (lr − minLr)
 * </pre>
 *
 * Computed in double, as Python computes it for torch's optimizer.
 *
 * @param lr     peak learning rate
 * @param minLr  the floor the cosine decays towards
 * @param warmup number of warm-up steps (0 for none)
 * @param steps  total number of steps of the run
 * @param kind   cosine or constant after warm-up
 */
public record LrSchedule(double lr, double minLr, int warmup, int steps, Kind kind) {

    public enum Kind { COSINE, CONSTANT }

    public LrSchedule {
        if (!(lr > 0) || Double.isInfinite(lr)) throw new IllegalArgumentException("learning rate must be positive, got " + lr);
        if (!(minLr >= 0) || minLr > lr) throw new IllegalArgumentException("min-lr must be in [0, lr], got " + minLr);
        if (warmup < 0) throw new IllegalArgumentException("warmup must not be negative, got " + warmup);
        if (steps < 1) throw new IllegalArgumentException("steps must be positive, got " + steps);
    }

    /** The learning rate of the update with 0-based index {@code it}. */
    public double at(int it) {
        if (it < warmup) return lr * (it + 1) / (warmup + 1);
        if (kind == Kind.CONSTANT) return lr;
        if (it >= steps) return minLr;
        double ratio = (double) (it - warmup) / (steps - warmup);
        double coeff = 0.5 * (1.0 + Math.cos(Math.PI * ratio));
        return minLr + coeff * (lr - minLr);
    }
}
