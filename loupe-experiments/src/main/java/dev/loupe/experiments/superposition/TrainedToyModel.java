package dev.loupe.experiments.superposition;

import dev.loupe.tensor.Tensor;

/**
 * One trained toy model.
 *
 * @param spec     what it is
 * @param w        W [m, n]
 * @param b        b [n]
 * @param loss     Σ_i I_i (x_i − x'_i)² averaged over {@link Superposition#EVAL_SAMPLES} fresh samples
 * @param measures ‖W_i‖, superposition, D_i and D* of W
 */
public record TrainedToyModel(Superposition.Spec spec, Tensor w, Tensor b, double loss, SuperpositionMeasures measures) {}
