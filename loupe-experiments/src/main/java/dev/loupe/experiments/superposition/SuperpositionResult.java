package dev.loupe.experiments.superposition;

import java.util.List;

/**
 * Every model {@link Superposition} trained, in the order of {@link Superposition#specs()}.
 *
 * @param seconds wall-clock time of the training
 */
public record SuperpositionResult(Superposition.Settings settings, List<TrainedToyModel> models, double seconds) {
    /** The models of one family and activation in the first sweep, by ascending sparsity (all seeds). */
    public List<TrainedToyModel> sweep(Superposition.Family family, boolean relu) {
        return models.stream().filter(t -> !t.spec().uniformSweep() && t.spec().family().equals(family) && t.spec().relu() == relu)
                .toList();
    }

    /** The models of the feature-dimensionality sweep. */
    public List<TrainedToyModel> uniformSweep() {
        return models.stream().filter(t -> t.spec().uniformSweep()).toList();
    }
}
