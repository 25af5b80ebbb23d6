package dev.loupe.sae;

import dev.loupe.model.ActivationCache;
import dev.loupe.model.Gpt;
import dev.loupe.tensor.Tensor;

import java.util.Arrays;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * A token stream cut into consecutive non-overlapping windows of {@code context} tokens (a tail that
 * does not fill a window is dropped), each run as its own sequence, {@code windowsPerPass} windows per
 * forward pass. Token {@code p} of the stream is position {@code p % context} of window {@code p / context}.
 */
public record TokenWindows(int[] tokens, int context, int windowsPerPass) {
    public TokenWindows {
        if (context < 1 || windowsPerPass < 1) throw new IllegalArgumentException("context and windows per pass must be positive");
    }

    /** The tokens that are read: a whole number of windows. */
    public int usedTokens() {
        return tokens.length / context * context;
    }

    /** Runs {@code gpt} on every window, caching {@code hooks}; hands each pass's cache with its first token index. */
    public void forEach(Gpt gpt, Set<String> hooks, BiConsumer<ActivationCache, Integer> pass) {
        int windows = tokens.length / context;
        for (int w = 0; w < windows; w += windowsPerPass) {
            int b = Math.min(windowsPerPass, windows - w);
            int[] ids = Arrays.copyOfRange(tokens, w * context, (w + b) * context);
            pass.accept(gpt.runWithCache(ids, b, context, hooks::contains).cache(), w * context);
        }
    }

    /** Runs {@code gpt} on every window and hands the activation at {@code hook} as rows [N, width] with the first token index. */
    public void forEachRows(Gpt gpt, String hook, BiConsumer<Tensor, Integer> rows) {
        forEach(gpt, Set.of(hook), (cache, at) -> rows.accept(rows(cache.get(hook)), at));
    }

    /** A cached activation [B, T, width…] as rows [B·T, width] (a hook_z's heads flattened). */
    public static Tensor rows(Tensor activation) {
        int n = activation.dim(0) * activation.dim(1);
        return activation.reshape(n, activation.size() / n);
    }
}
