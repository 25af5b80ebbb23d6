package dev.loupe.experiments.grokking;

import dev.loupe.model.Gpt;

import java.util.List;

/**
 * What a grokking run found.
 *
 * @param settings            the run's settings
 * @param data                the train/test split
 * @param model               the trained model
 * @param trainLossPerStep    [steps]: the full-batch training loss of every step (before its update)
 * @param checkpoints         the progress measures of every checkpoint (steps 0, N, 2N, …, and the last)
 * @param keys                the key frequencies of the trained model (its MLP neurons' clusters)
 * @param embeddingSpectrum   [(p−1)/2]: ‖W_E‖ in each frequency k (index k − 1), the trained model's
 * @param memorisationStep    the first checkpoint with train accuracy ≥ 0.99, or −1
 * @param cleanupStartStep    the first checkpoint after memorisation with test accuracy ≥ 0.5 (the test
 *                            loss cliff: circuit formation ends, clean-up begins), or −1
 * @param grokkingStep        the first checkpoint with test accuracy ≥ 0.99, or −1
 * @param attentionToA        [heads][p·p]: attention from "=" to a, row a·p + b, per head
 * @param neuron              the neuron shown in {@link #neuronActivation}
 * @param neuronActivation    [p·p]: that neuron's activation at "=", row a·p + b
 * @param trainSeconds        wall time of the training loop (without the measures)
 * @param analysisSeconds     wall time of the measures over all checkpoints
 */
public record GrokkingResult(GrokkingSettings settings, ModularAddition data, Gpt model, float[] trainLossPerStep,
                             List<ProgressMeasures> checkpoints, KeyFrequencies keys, double[] embeddingSpectrum,
                             int memorisationStep, int cleanupStartStep, int grokkingStep, float[][] attentionToA,
                             int neuron, float[] neuronActivation, double trainSeconds, double analysisSeconds) {

    /** The last checkpoint's measures (the trained model's). */
    public ProgressMeasures last() {
        return checkpoints.getLast();
    }

    /** Training steps per second. */
    public double stepsPerSecond() {
        return settings.steps() / trainSeconds;
    }
}
