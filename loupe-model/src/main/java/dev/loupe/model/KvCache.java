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
 *
 * <p>Linear and least-squares attention ({@link AttentionKind#recurrent()}) keep no keys or values:
 * each head carries a constant-size state instead (S and z, or H⁻¹ and G; d_head² numbers each),
 * whatever the context length, and a decoded token costs O(d_head²) per head.
 */
public final class KvCache {
    private final Tensor[] keys;   // per layer [capacity, d_model]; null for recurrent attention
    private final Tensor[] values; // per layer [capacity, d_model]; null for recurrent attention
    /** Recurrent attention: per layer, per head, the state of the prefix (null until first used). */
    private final double[][][] states;
    private final int capacity;
    private int length;
    Activations step;              // reused by one-token steps

    KvCache(GptConfig c, int capacity) {
        if (capacity <= 0) throw new LoupeException("KV cache capacity must be positive, got " + capacity);
        this.capacity = capacity;
        keys = new Tensor[c.nLayer()];
        values = new Tensor[c.nLayer()];
        states = c.attention().recurrent() ? new double[c.nLayer()][c.nHead()][] : null;
        if (states != null) return;
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
        if (states != null) for (double[][] layer : states) java.util.Arrays.fill(layer, null);
    }

    /** Whether this cache holds per-head recurrent states instead of keys and values. */
    public boolean isRecurrent() {
        return states != null;
    }

    /** Cached keys of layer {@code layer}, all heads: [length, d_model] (a view). Softmax attention only. */
    public Tensor keys(int layer) {
        return kvBuffer(keys, layer).slice(0, 0, length);
    }

    /** Cached values of layer {@code layer}, all heads: [length, d_model] (a view). Softmax attention only. */
    public Tensor values(int layer) {
        return kvBuffer(values, layer).slice(0, 0, length);
    }

    private static Tensor kvBuffer(Tensor[] buffers, int layer) {
        if (buffers[layer] == null) {
            throw new IllegalStateException("linear and least-squares attention keep a constant-size state, not keys and values");
        }
        return buffers[layer];
    }

    /** The per-head states of a recurrent-attention layer (entries null until the first token). */
    double[][] states(int layer) {
        return states[layer];
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
