package dev.loupe.train;

import dev.loupe.LoupeException;

/** Training produced a NaN or an infinity: names the step and the tensor (or "loss") where it appeared. */
public final class NonFiniteException extends LoupeException {
    private final long step;
    private final String where;

    public NonFiniteException(long step, String where) {
        super("training diverged at step " + step + ": the " + where + " is not finite (NaN or infinity)");
        this.step = step;
        this.where = where;
    }

    /** The 1-based step at which the non-finite value appeared. */
    public long step() { return step; }

    /** "loss" or "gradient of &lt;tensor name&gt;". */
    public String where() { return where; }
}
