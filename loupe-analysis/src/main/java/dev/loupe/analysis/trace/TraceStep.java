package dev.loupe.analysis.trace;

import java.util.List;
import java.util.Optional;

/**
 * One numbered step of a walkthrough: what is computed ({@code title}), how ({@code formula}, plain
 * text in the seeds' notation, e.g. {@code A = softmax(Q·Kᵀ/√d_k + M)}), in which shape
 * ({@code shape}, e.g. {@code [T, d_model] = [3, 8]}), what it means ({@code meaning}, a sentence or
 * two for a newcomer) and the numbers themselves.
 */
public record TraceStep(int number, String title, String formula, String shape, String meaning, List<TraceTensor> values) {
    public TraceStep {
        values = List.copyOf(values);
    }

    /** The matrix with this key, if this step shows it. */
    public Optional<TraceTensor> value(String key) {
        return values.stream().filter(v -> v.key().equals(key)).findFirst();
    }
}
