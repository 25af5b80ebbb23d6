package dev.loupe.model;

import dev.loupe.LoupeException;
import dev.loupe.tensor.Tensor;

import java.util.Arrays;
import java.util.function.IntPredicate;

/**
 * Autoregressive generation with a KV cache: the prompt goes through the model once (filling the
 * cache), then each new token costs one {@link Gpt#decodeStep} — one row through every layer.
 *
 * <p>When hooks are attached to the model ({@link Gpt#hooks()}: an intervention, a spliced sparse
 * autoencoder), which cached decoding never runs, each new token instead costs one hooked forward
 * pass over the whole context so far ({@link Gpt#logits}): slower, but every position sees the hooks.
 */
public final class Generator {
    private final Gpt model;
    private final Sampler sampler;

    public Generator(Gpt model, Sampler sampler) {
        this.model = model;
        this.sampler = sampler;
    }

    /** The prompt followed by up to {@code maxNewTokens} sampled tokens. */
    public int[] generate(int[] prompt, int maxNewTokens) {
        return generate(prompt, maxNewTokens, t -> true);
    }

    /**
     * The prompt followed by sampled tokens. {@code onToken} sees each new token as soon as it is
     * chosen and returns false to stop (e.g. at an end-of-text token, or to stream text).
     *
     * <p>With learned positions the model sees at most n_positions tokens: when prompt + new tokens
     * need more, the context is cropped to the last n_positions tokens, as nanoGPT's
     * {@code generate} does ({@code idx[:, -block_size:]}); the KV cache is then rebuilt from that
     * window for every further token (see {@link #cropsContext}).
     */
    public int[] generate(int[] prompt, int maxNewTokens, IntPredicate onToken) {
        if (prompt.length == 0) throw new LoupeException("the prompt is empty: generation needs at least one token");
        if (maxNewTokens < 0) throw new LoupeException("max new tokens must be ≥ 0, got " + maxNewTokens);
        int[] out = Arrays.copyOf(prompt, prompt.length + maxNewTokens);
        if (maxNewTokens == 0) return out;
        int window = window(model.config());
        // The last generated token is never fed back, so the cache needs one position less.
        int needed = prompt.length + maxNewTokens - 1;
        if (!model.hooks().isEmpty()) return generateHooked(out, prompt.length, maxNewTokens, window, onToken);
        KvCache cache = model.newCache(Math.max(1, Math.min(needed, window)));
        int n = prompt.length;
        Tensor last = lastRow(model.decode(tail(out, n, window), cache));
        for (int i = 0; i < maxNewTokens; i++) {
            int next = sampler.sample(last);
            out[n++] = next;
            if (!onToken.test(next) || i == maxNewTokens - 1) break;
            if (cache.length() < cache.capacity()) {
                last = model.decodeStep(next, cache);
            } else { // the window is full: nanoGPT's crop, the last `window` tokens again from an empty cache
                cache.clear();
                last = lastRow(model.decode(tail(out, n, window), cache));
            }
        }
        return Arrays.copyOf(out, n);
    }

    /**
     * Each step a full hooked forward over the last min(n, window) tokens so far (KV-cached decoding
     * runs no hooks); {@code out} holds the prompt in its first n places.
     */
    private int[] generateHooked(int[] out, int n, int maxNewTokens, int window, IntPredicate onToken) {
        for (int i = 0; i < maxNewTokens; i++) {
            int[] context = tail(out, n, window);
            Tensor logits = model.logits(context, 1, context.length);              // [1, T, V]
            int next = sampler.sample(logits.select(0, 0).select(0, context.length - 1));
            out[n++] = next;
            if (!onToken.test(next)) break;
        }
        return Arrays.copyOf(out, n);
    }

    /**
     * Whether {@link #generate} will crop the context: with learned positions, a prompt of
     * {@code promptLength} tokens and {@code maxNewTokens} new ones need more than n_positions.
     */
    public static boolean cropsContext(GptConfig config, int promptLength, int maxNewTokens) {
        return maxNewTokens > 0 && promptLength + maxNewTokens - 1 > window(config);
    }

    /** Most tokens the model can see at once: n_positions with learned positions, else unbounded. */
    public static int window(GptConfig c) {
        return c.positional() == GptConfig.Positional.LEARNED ? c.nPositions() : Integer.MAX_VALUE;
    }

    /** The last min(n, window) of the first n ids. */
    private static int[] tail(int[] ids, int n, int window) {
        return Arrays.copyOfRange(ids, Math.max(0, n - window), n);
    }

    /** Logits [T, V] → the last row [V]. */
    private static Tensor lastRow(Tensor logits) {
        return logits.select(0, logits.dim(0) - 1);
    }
}
