package dev.loupe.model;

import dev.loupe.LoupeException;
import dev.loupe.tensor.Tensor;

/**
 * The keys and values of every position seen so far, per layer, so that decoding one more token
 * costs one row through the model instead of the whole context. Keys and values of all heads sit
 * side by side as in {@code c_attn}'s output: head h owns columns [h·d_head, (h+1)·d_head).
 *
 * <p>Memory: 2 · n_layer · capacity · d_model floats (GPT-2 small, 1024 positions: 75 MiB).
 * Create one with {@link Gpt#newCache(int)}; one cache holds one sequence (batch 1).
 */
public final class KvCache {
    private final Tensor[] keys;   // per layer [capacity, d_model]
    private final Tensor[] values; // per layer [capacity, d_model]
    private final int capacity;
    private int length;
    Activations step;              // reused by one-token steps

    KvCache(GptConfig c, int capacity) {
        if (capacity <= 0) throw new LoupeException("KV cache capacity must be positive, got " + capacity);
        this.capacity = capacity;
        keys = new Tensor[c.nLayer()];
        values = new Tensor[c.nLayer()];
        for (int l = 0; l < c.nLayer(); l++) {
            keys[l] = Tensor.zeros(capacity, c.dModel());
            values[l] = Tensor.zeros(capacity, c.dModel());
        }
    }

    /** Number of positions cached. */
    public int length() {
        return length;
    }

    /** Largest number of positions this cache holds. */
    public int capacity() {
        return capacity;
    }

    /** Forgets every position (the buffers are kept). */
    public void clear() {
        length = 0;
    }

    /** Cached keys of layer {@code layer}, all heads: [length, d_model] (a view). */
    public Tensor keys(int layer) {
        return keys[layer].slice(0, 0, length);
    }

    /** Cached values of layer {@code layer}, all heads: [length, d_model] (a view). */
    public Tensor values(int layer) {
        return values[layer].slice(0, 0, length);
    }

    /** The full key buffer of a layer [capacity, d_model]; rows ≥ length are stale. */
    Tensor keyBuffer(int layer) {
        return keys[layer];
    }

    Tensor valueBuffer(int layer) {
        return values[layer];
    }

    void checkRoom(int newTokens) {
        if (length + newTokens > capacity) {
            throw new LoupeException("context of " + (length + newTokens) + " tokens exceeds the KV cache capacity of "
                    + capacity + " positions");
        }
    }

    void advance(int newTokens) {
        length += newTokens;
    }
}
