package dev.loupe.analysis.circuits;

import java.util.List;
import java.util.function.IntFunction;

/**
 * One entry of a vocab × vocab circuit, named by its tokens: for a full OV circuit (source token
 * attended to, output token whose logit it moves); for a full QK circuit (destination token that
 * queries, source token it attends to).
 *
 * @param rowToken    the row's token id
 * @param rowText     its text, or null without a tokenizer
 * @param columnToken the column's token id
 * @param columnText  its text, or null without a tokenizer
 * @param value       the circuit's entry
 */
public record TokenPair(int rowToken, String rowText, int columnToken, String columnText, double value) {

    /** Entries named by {@code tokenText} (null: ids only). */
    public static List<TokenPair> of(List<FactoredMatrix.Entry> entries, IntFunction<String> tokenText) {
        return entries.stream().map(e -> new TokenPair(e.row(), tokenText == null ? null : tokenText.apply(e.row()),
                e.column(), tokenText == null ? null : tokenText.apply(e.column()), e.value())).toList();
    }

    /** The k largest entries of a token × token circuit (a bounded row-block scan, see {@link FactoredMatrix#largestEntries}). */
    public static List<TokenPair> top(FactoredMatrix circuit, int k, IntFunction<String> tokenText) {
        return of(circuit.largestEntries(k), tokenText);
    }
}
