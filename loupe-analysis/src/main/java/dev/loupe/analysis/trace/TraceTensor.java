package dev.loupe.analysis.trace;

import dev.loupe.tensor.Tensor;

import java.util.List;

/**
 * One matrix a trace step shows: its stable {@code key} (TransformerLens-style, e.g.
 * {@code blocks.0.attn.h1.pattern}), a label in the seed's notation, the numbers [rows, cols]
 * and what the rows and columns stand for (tokens, dimensions, vocabulary entries).
 *
 * @param rowLabels one label per row (e.g. the prompt's tokens), or empty for plain indices
 * @param colLabels one label per column (e.g. key tokens or vocabulary words), or empty for indices
 */
public record TraceTensor(String key, String label, Tensor value, List<String> rowLabels, List<String> colLabels) {
    public TraceTensor {
        if (value.rank() != 2) throw new IllegalArgumentException(key + ": trace tensors are matrices, got rank " + value.rank());
        if (!rowLabels.isEmpty() && rowLabels.size() != value.dim(0)) {
            throw new IllegalArgumentException(key + ": " + rowLabels.size() + " row labels for " + value.dim(0) + " rows");
        }
        if (!colLabels.isEmpty() && colLabels.size() != value.dim(1)) {
            throw new IllegalArgumentException(key + ": " + colLabels.size() + " column labels for " + value.dim(1) + " columns");
        }
        rowLabels = List.copyOf(rowLabels);
        colLabels = List.copyOf(colLabels);
    }

    /** "[3, 8]". */
    public String shape() {
        return "[" + value.dim(0) + ", " + value.dim(1) + "]";
    }
}
