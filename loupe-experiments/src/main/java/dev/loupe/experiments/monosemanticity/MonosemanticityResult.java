package dev.loupe.experiments.monosemanticity;

import dev.loupe.sae.FeatureDashboard;
import dev.loupe.sae.SaeMetrics;
import dev.loupe.sae.SaeTrainer;
import dev.loupe.sae.SparseAutoencoder;

import java.util.List;

/**
 * What {@link Monosemanticity#run} found.
 *
 * @param settings     the run's settings
 * @param transformer  the trained model and its losses
 * @param sae          the trained autoencoder (folded: for raw activations)
 * @param saeHistory   its training curve (loss, MSE, L0, explained variance, dead fraction per step)
 * @param saeSeconds   its training time
 * @param metrics      L0, explained variance, CE loss score, dead features on held-out text
 * @param neurons      every neuron's proxy scores
 * @param features     every feature's proxy scores
 * @param featureDashboard dashboards of the best feature of each class (and the densest others)
 * @param neuronDashboard  dashboards of the best neuron of each class
 */
public record MonosemanticityResult(MonosemanticitySettings settings, TransformerStage transformer, SparseAutoencoder sae,
                                    List<SaeTrainer.Point> saeHistory, double saeSeconds, SaeMetrics.Result metrics,
                                    ProxyScores neurons, ProxyScores features, FeatureDashboard featureDashboard,
                                    FeatureDashboard neuronDashboard) {

    /** The feature densities as a log10 histogram: features per bin of width 0.5 from −8 to 0 (dead features left out). */
    public int[] log10DensityHistogram() {
        int[] bins = new int[16];
        for (float d : metrics.featureDensity()) if (d > 0) bins[Math.max(0, Math.min(15, (int) Math.floor((Math.log10(d) + 8) * 2)))]++;
        return bins;
    }

    /** Whether the best feature of {@code c} is more specific than the best neuron of {@code c}. */
    public boolean featureMoreSpecific(ProxyClass c) {
        return features.best(c).specificity() > neurons.best(c).specificity();
    }

    /** How many classes have a best feature more specific than their best neuron. */
    public int classesWhereFeaturesWin() {
        int n = 0;
        for (ProxyClass c : ProxyClass.values()) if (featureMoreSpecific(c)) n++;
        return n;
    }
}
