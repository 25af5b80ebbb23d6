package dev.loupe.model;

import dev.loupe.tensor.Tensor;

/**
 * A causal attention whose prefix up to position t is summarised by a state of constant size
 * (linear and least-squares attention, {@link AttentionKind}), so one head costs O(T·d_head²) in
 * training and O(d_head²) per decoded token, with no KV cache. One object per layer; methods work
 * on one head of one sequence and may run concurrently on different heads (no shared mutable data).
 *
 * <p>{@link #forward} is "reset, then {@link #step} per position", the same code as generation, so
 * recurrent decoding computes the training forward's numbers. The state is float64: running sums
 * over long contexts (and the least-squares inverse updates) keep their precision.
 */
abstract sealed class RecurrentAttentionKernel permits LinearAttentionKernel, LeastSquaresAttentionKernel {
    final int dHead;

    RecurrentAttentionKernel(int dHead) {
        this.dHead = dHead;
    }

    /** The kernel of a non-softmax kind; {@code logAlpha} [n_head] is the learned log α (else null). */
    static RecurrentAttentionKernel of(AttentionKind kind, int dHead, Tensor logAlpha) {
        return switch (kind.kind()) {
            case LINEAR -> new LinearAttentionKernel(dHead, kind.featureMap(), kind.normalize());
            case LEAST_SQUARES -> new LeastSquaresAttentionKernel(dHead, kind.lsAlpha(), logAlpha);
            case SOFTMAX -> throw new IllegalArgumentException("softmax attention is not recurrent");
        };
    }

    /** A fresh state (and step scratch) for head {@code head}: the empty prefix. */
    abstract double[] newState(int head);

    /**
     * Adds position t's key and value (rows {@code k}, {@code v} at index t) to the state, then
     * writes the head output for query t: out[t] = read(state, q[t]).
     */
    abstract void step(double[] state, HeadRows q, HeadRows k, HeadRows v, int t, HeadRows out);

    /** Head outputs out [T, d_head] of one sequence from q, k, v [T, d_head]. */
    final void forward(HeadRows q, HeadRows k, HeadRows v, int seqLen, HeadRows out, int head) {
        double[] state = newState(head);
        for (int t = 0; t < seqLen; t++) step(state, q, k, v, t, out);
    }

    /**
     * Exact backward of {@link #forward}: from dout [T, d_head] (and the forward's out) writes dq,
     * dk, dv [T, d_head] (overwritten, not accumulated) and returns d loss / d log α of this head
     * (0 when α is not learned).
     */
    abstract double backward(HeadRows q, HeadRows k, HeadRows v, HeadRows out, HeadRows dout, int seqLen,
                             HeadRows dq, HeadRows dk, HeadRows dv, int head);

    /**
     * The effective mixing weights before any normalisation, into scores [T, T] (a view with dense
     * rows): entry (t, s) for s ≤ t, 0 above the diagonal ({@code attn.hook_attn_scores}).
     */
    abstract void scores(HeadRows q, HeadRows k, int seqLen, Tensor scores, int head);

    /**
     * Turns (possibly hook-edited) scores into the pattern A, in place, such that the head output is
     * A·V ({@code attn.hook_pattern}).
     */
    abstract void normalize(Tensor scores, int seqLen);

    /** Σ_i x[xo + i]·y[i]. */
    static double dot(float[] x, int xo, double[] y, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) s += x[xo + i] * y[i];
        return s;
    }
}
