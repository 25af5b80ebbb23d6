package dev.loupe.analysis.interventions;

import dev.loupe.LoupeException;
import dev.loupe.model.HookPoints;
import dev.loupe.tensor.Tensor;

/**
 * Activation steering (Turner et al., 2023, "activation addition"): add coefficient · v to the
 * residual stream entering block {@code layer} ({@code blocks.{layer}.hook_resid_pre}), at every
 * position of every sequence, so every later component reads the shifted stream.
 */
public final class Steering {
    private Steering() {}

    /** x ← x + coefficient · vector at the entry of block {@code layer}; vector [d_model]. */
    public static Intervention add(int layer, Tensor vector, float coefficient) {
        if (vector.rank() != 1) throw new LoupeException("a steering vector is [d_model], got shape " + java.util.Arrays.toString(vector.shape()));
        Tensor v = vector.copy();
        return new Intervention(HookPoints.name(layer, "hook_resid_pre"), (x, n) -> {
            int d = x.dim(2);
            if (v.size() != d) throw new LoupeException("steering vector has " + v.size() + " entries, the residual stream " + d);
            for (int b = 0; b < x.dim(0); b++)
                for (int t = 0; t < x.dim(1); t++)
                    for (int j = 0; j < d; j++) x.set(x.get(b, t, j) + coefficient * v.get(j), b, t, j);
            return x;
        });
    }
}
