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
     * With learned positions, prompt + new tokens may not exceed n_positions.
     */
    public int[] generate(int[] prompt, int maxNewTokens, IntPredicate onToken) {
        if (prompt.length == 0) throw new LoupeException("the prompt is empty: generation needs at least one token");
        if (maxNewTokens < 0) throw new LoupeException("max new tokens must be ≥ 0, got " + maxNewTokens);
        int[] out = Arrays.copyOf(prompt, prompt.length + maxNewTokens);
        if (maxNewTokens == 0) return out;
        // The last generated token is never fed back, so the cache needs one position less.
        int needed = prompt.length + maxNewTokens - 1;
        if (model.config().positional() == GptConfig.Positional.LEARNED && needed > model.config().nPositions()) {
            throw new LoupeException("a prompt of " + prompt.length + " tokens + " + maxNewTokens + " new tokens needs " + needed
                    + " positions, more than the model's n_positions = "
                    + model.config().nPositions());
        }
        if (!model.hooks().isEmpty()) return generateHooked(out, prompt.length, maxNewTokens, onToken);
        KvCache cache = model.newCache(Math.max(1, needed));
        Tensor logits = model.decode(prompt, cache);
        Tensor last = logits.select(0, prompt.length - 1);
        int n = prompt.length;
        for (int i = 0; i < maxNewTokens; i++) {
            int next = sampler.sample(last);
            out[n++] = next;
            if (!onToken.test(next) || i == maxNewTokens - 1) break;
            last = model.decodeStep(next, cache);
        }
        return Arrays.copyOf(out, n);
    }

    /** Each step a full hooked forward over the tokens so far; {@code out} holds the prompt in its first n places. */
    private int[] generateHooked(int[] out, int n, int maxNewTokens, IntPredicate onToken) {
        for (int i = 0; i < maxNewTokens; i++) {
            Tensor logits = model.logits(Arrays.copyOf(out, n), 1, n);              // [1, n, V]
            int next = sampler.sample(logits.select(0, 0).select(0, n - 1));
            out[n++] = next;
            if (!onToken.test(next)) break;
        }
        return Arrays.copyOf(out, n);
    }
}
