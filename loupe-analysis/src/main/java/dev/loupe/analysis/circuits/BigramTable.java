package dev.loupe.analysis.circuits;

import dev.loupe.model.Gpt;

import java.util.List;

/**
 * The 0-layer reading of "A Mathematical Framework for Transformer Circuits": with no layers the model
 * is the direct path W_E · W_U [V, V] — row t holds the logits of the token after t, a bigram table.
 * Kept factored (inner dimension d_model); raw weights, so ln_final's gain and shift are not applied
 * (they are in a 0-layer model's real output, which {@code loupe reproduce bigram} compares instead).
 * In a deeper model the same product is the direct path of the path expansion.
 */
public final class BigramTable {
    /** One row: the token and its top next tokens by direct-path logit, largest first. */
    public record Row(int token, List<FactoredMatrix.Entry> next) {}

    private final FactoredMatrix direct;

    public BigramTable(Gpt gpt) {
        HeadCircuits c = new HeadCircuits(gpt);
        this.direct = new FactoredMatrix(c.embedding(), c.unembedding());
    }

    /** W_E · W_U [V, V], factored. */
    public FactoredMatrix directPath() {
        return direct;
    }

    /** The k likeliest next tokens of {@code token} under the direct path. */
    public Row row(int token, int k) {
        return new Row(token, direct.topInRow(token, k));
    }

    /** The k strongest (token → next) pairs over the whole table (a scan, O(V²·d_model)). */
    public List<FactoredMatrix.Entry> strongest(int k) {
        return direct.largestEntries(k);
    }
}
