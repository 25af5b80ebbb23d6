package dev.loupe.analysis.interventions;

import dev.loupe.LoupeException;
import dev.loupe.model.Gpt;
import dev.loupe.model.Generator;
import dev.loupe.model.HookPoints;
import dev.loupe.model.Sampler;
import dev.loupe.tensor.Tensor;

import java.util.Arrays;
import java.util.List;
import java.util.function.IntPredicate;

/**
 * Activation steering (Turner et al., 2023, "activation addition"): add coefficient · v to the
 * residual stream entering block {@code layer} ({@code blocks.{layer}.hook_resid_pre}), at every
 * position of every sequence, so every later component reads the shifted stream.
 */
public final class Steering {
    private Steering() {}

    /** x ← x + coefficient · vector at the entry of block {@code layer}; vector [d_model]. */
    public static Intervention add(int layer, Tensor vector, float coefficient) {
        return add(HookPoints.name(layer, "hook_resid_pre"), vector, coefficient);
    }

    /**
     * x ← x + coefficient · vector at every position of the hook point {@code hookName}, whose
     * activation is [B, T, w] (a residual stream, attn_out, mlp_out, …); vector [w].
     */
    public static Intervention add(String hookName, Tensor vector, float coefficient) {
        if (vector.rank() != 1) throw new LoupeException("a steering vector is [d_model], got shape " + java.util.Arrays.toString(vector.shape()));
        Tensor v = vector.copy();
        return new Intervention(hookName, (x, n) -> {
            if (x.rank() != 3) throw new LoupeException("steering adds to a [B, T, w] activation; " + n + " has shape " + java.util.Arrays.toString(x.shape()));
            int d = x.dim(2);
            if (v.size() != d) throw new LoupeException("steering vector has " + v.size() + " entries, " + n + " has " + d);
            for (int b = 0; b < x.dim(0); b++)
                for (int t = 0; t < x.dim(1); t++)
                    for (int j = 0; j < d; j++) x.set(x.get(b, t, j) + coefficient * v.get(j), b, t, j);
            return x;
        });
    }

    /**
     * The steering vector of two texts (ActAdd's "to − from"): the mean over positions of the
     * activation at {@code hookName} [1, T, w] on {@code to}, minus the same on {@code from} [w].
     */
    public static Tensor difference(Gpt gpt, String hookName, int[] from, int[] to) {
        double[] a = meanActivation(gpt, hookName, to), b = meanActivation(gpt, hookName, from);
        Tensor v = Tensor.zeros(a.length);
        for (int j = 0; j < a.length; j++) v.set((float) (a[j] - b[j]), j);
        return v;
    }

    private static double[] meanActivation(Gpt gpt, String hookName, int[] ids) {
        Tensor x = gpt.runWithCache(ids, 1, ids.length, hookName::equals).cache().get(hookName); // [1, T, w]
        if (x.rank() != 3) throw new LoupeException(hookName + " has shape " + java.util.Arrays.toString(x.shape()) + ": steer a [B, T, w] hook");
        double[] m = new double[x.dim(2)];
        for (int t = 0; t < x.dim(1); t++) for (int j = 0; j < m.length; j++) m[j] += x.get(0, t, j) / x.dim(1);
        return m;
    }

    /**
     * Generation with {@code interventions} attached at every step: the prompt followed by up to
     * {@code maxNewTokens} tokens drawn by {@code sampler} from the hooked logits. Hooks do not run
     * in cached decoding, so each step is a full forward over the last n_positions tokens (nanoGPT's
     * crop). {@code onToken} returns false to stop.
     */
    public static int[] generate(Gpt gpt, Sampler sampler, int[] prompt, int maxNewTokens, List<Intervention> interventions,
                                 IntPredicate onToken) {
        if (prompt.length == 0) throw new LoupeException("the prompt is empty: generation needs at least one token");
        int window = Generator.window(gpt.config());
        int[] out = Arrays.copyOf(prompt, prompt.length + maxNewTokens);
        int n = prompt.length;
        for (int i = 0; i < maxNewTokens; i++) {
            int[] ctx = Arrays.copyOfRange(out, Math.max(0, n - window), n);
            Tensor logits = Intervention.run(gpt, ctx, 1, ctx.length, interventions); // [1, T, V]
            int next = sampler.sample(logits.select(0, 0).select(0, ctx.length - 1));
            out[n++] = next;
            if (!onToken.test(next)) break;
        }
        return Arrays.copyOf(out, n);
    }
}
