package dev.loupe.analysis.circuits;

/**
 * The three ways a head h1 can feed a head h2 of a later layer through the residual stream (Elhage et
 * al., 2021, "Composition"), and their score
 *
 * <pre>
 *   score(L, R) = ‖L·R‖_F / (‖L‖_F · ‖R‖_F)       ∈ [0, 1]
 * </pre>
 *
 * in TransformerLens's row-vector convention, where W_QK^h = W_Q^h·W_K^hᵀ and W_OV^h = W_V^h·W_O^h are
 * both [d_model, d_model] and a head writes x·W_OV into the stream:
 * <ul>
 *   <li>{@link #Q}: L = W_OV^{h1}, R = W_QK^{h2} — h1's output is read by h2's queries;</li>
 *   <li>{@link #K}: L = W_OV^{h1}, R = (W_QK^{h2})ᵀ = W_K^{h2}·W_Q^{h2}ᵀ — read by h2's keys (induction heads
 *       K-compose with previous-token heads);</li>
 *   <li>{@link #V}: L = W_OV^{h1}, R = W_OV^{h2} — read by h2's values (a "virtual head").</li>
 * </ul>
 * The score of two random matrices is not 0 — compare with {@link CompositionBaseline}.
 */
public enum Composition {
    Q, K, V;

    /** R for head h2 of this kind of composition (see above). */
    public FactoredMatrix reader(HeadCircuits circuits, int layer, int head) {
        return switch (this) {
            case Q -> circuits.qk(layer, head);
            case K -> circuits.qk(layer, head).transpose();
            case V -> circuits.ov(layer, head);
        };
    }

    /** The composition score of h1 = (layer1, head1) into h2 = (layer2, head2), computed directly. */
    public double score(HeadCircuits circuits, int layer1, int head1, int layer2, int head2) {
        return score(circuits.ov(layer1, head1), reader(circuits, layer2, head2));
    }

    /**
     * ‖L·R‖_F / (‖L‖_F·‖R‖_F) for any two factored matrices that chain; NaN when L or R is 0. L·R stays
     * factored, so the norms come from r × r Gram matrices.
     */
    public static double score(FactoredMatrix left, FactoredMatrix right) {
        double denominator = left.frobeniusNorm() * right.frobeniusNorm();
        return denominator == 0 ? Double.NaN : left.times(right).frobeniusNorm() / denominator;
    }

    /** "q", "k" or "v", as in the JSON output. */
    public String key() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
