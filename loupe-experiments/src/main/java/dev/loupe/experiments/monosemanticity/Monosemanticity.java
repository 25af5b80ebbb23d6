package dev.loupe.experiments.monosemanticity;

import dev.loupe.model.Gpt;
import dev.loupe.sae.ActivationStore;
import dev.loupe.sae.Architecture;
import dev.loupe.sae.DashboardUnits;
import dev.loupe.sae.FeatureDashboard;
import dev.loupe.sae.SaeHookPoint;
import dev.loupe.sae.SaeMetadata;
import dev.loupe.sae.SaeMetrics;
import dev.loupe.sae.SaeTrainer;
import dev.loupe.sae.SaeTrainingSettings;
import dev.loupe.sae.SaeUnits;
import dev.loupe.sae.SparseAutoencoder;
import dev.loupe.sae.TokenWindows;
import dev.loupe.tensor.Tensor;
import dev.loupe.train.Trainer;

import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * "Towards Monosemanticity" (Bricken et al. 2023) on a CPU: a one-layer transformer with a ReLU MLP
 * trained on {@link ProxyCorpus} text, a sparse autoencoder {@code expansion}× wider than the MLP
 * trained on the MLP's activations, then — on fresh text — how well the best neuron and the best
 * feature of each {@link ProxyClass} match it ({@link ProxyScores}), the SAE's own quality
 * ({@link SaeMetrics}), and dashboards of the best units ({@link FeatureDashboard}).
 */
public final class Monosemanticity {
    /** Receives progress: stages, every transformer step, every SAE step. */
    public interface Progress {
        void stage(String what);

        default void transformerStep(Trainer.StepReport r) {}

        default void saeStep(SaeTrainer.Progress p) {}
    }

    private Monosemanticity() {}

    /** Runs the whole experiment (deterministic in {@code s.seed()} for a given thread count). */
    public static MonosemanticityResult run(MonosemanticitySettings s, Progress progress) {
        progress.stage(String.format(java.util.Locale.ROOT, "training the transformer: 1 layer, d_model %d, %d ReLU neurons, %d steps",
                s.dModel(), s.dMlp(), s.steps()));
        TransformerStage transformer = TransformerStage.train(s, new Trainer.Listener() {
            @Override
            public void onStep(Trainer.StepReport r) {
                progress.transformerStep(r);
            }
        });
        Gpt gpt = transformer.gpt();
        String hook = MonosemanticitySettings.hook();

        int dSae = s.expansion() * s.dMlp();
        progress.stage(String.format(java.util.Locale.ROOT, "training the sparse autoencoder: %d features (%d× %d neurons) on %d activations",
                dSae, s.expansion(), s.dMlp(), s.saeTokens()));
        int[] train = transformer.tokenizer().encode(ProxyCorpus.generate(s.seed(), s.trainTokens()));
        ActivationStore store = new ActivationStore(gpt, SaeHookPoint.resolve(gpt.config(), hook), train,
                new ActivationStore.Settings(s.context(), 32, s.saeBatch(), 16, s.seed()));
        long steps = s.saeTokens() / s.saeBatch();
        // one feature-sampling window of half the run: dead features are resampled once, halfway, with half the run left to train
        // them (a resampling near the end leaves fresh, untrained features in the SAE)
        SaeTrainingSettings ts = new SaeTrainingSettings(Architecture.STANDARD, dSae, 0, s.l1Coefficient(), s.saeLr(),
                (int) Math.min(500, steps / 10), (int) Math.min(1000, steps / 5), s.saeTokens(), s.saeBatch(), "expected_average_only_in",
                (int) Math.max(50, steps / 8), (int) (steps / 2 + 1), true, 0, "geometric_median", 0.9, 0.999, s.seed(), 0);
        SaeTrainer trainer = SaeTrainer.start(ts, store, SaeMetadata.of("monosemanticity", hook));
        long start = System.nanoTime();
        while (!trainer.done()) progress.saeStep(trainer.trainStep());
        double saeSeconds = (System.nanoTime() - start) / 1e9;
        SparseAutoencoder sae = trainer.current().folded();

        progress.stage("measuring neurons and features on " + s.evalTokens() + " tokens of fresh text");
        String text = ProxyCorpus.generate(s.seed(), 1, s.evalTokens());
        boolean[][] labels = ProxyLabels.label(text);
        TokenWindows eval = new TokenWindows(transformer.tokenizer().encode(text), s.context(), 32);
        SaeMetrics.Result metrics = SaeMetrics.evaluate(gpt, sae, eval.tokens(), eval.usedTokens() / s.context(), s.context(), 32, (a, b) -> { });
        ProxyScores neurons = ProxyScores.measure(s.dMlp(), chunks(gpt, eval, labels, hook, null), progress::stage);
        ProxyScores features = ProxyScores.measure(dSae, chunks(gpt, eval, labels, hook, sae), progress::stage);

        progress.stage("dashboards of the best features and neurons");
        Set<Integer> bestFeatures = new LinkedHashSet<>(), bestNeurons = new LinkedHashSet<>();
        for (ProxyClass c : ProxyClass.values()) {
            bestFeatures.add(features.best(c).unit());
            bestNeurons.add(neurons.best(c).unit());
        }
        int[] byDensity = densest(metrics.featureDensity());
        for (int i = 0; bestFeatures.size() < s.dashboards() && i < byDensity.length; i++) bestFeatures.add(byDensity[i]);
        TokenWindows shown = new TokenWindows(Arrays.copyOf(eval.tokens(), Math.min(eval.usedTokens(), 16_384)), s.context(), 32);
        FeatureDashboard featureDash = FeatureDashboard.build("Monosemanticity: SAE features of " + hook, gpt, new SaeUnits(gpt, sae), shown,
                bestFeatures, FeatureDashboard.Settings.defaults(), transformer.tokenizer()::tokenText, x -> { });
        FeatureDashboard neuronDash = FeatureDashboard.build("Monosemanticity: neurons of " + hook, gpt, DashboardUnits.neurons(gpt, 0), shown,
                bestNeurons, FeatureDashboard.Settings.defaults(), transformer.tokenizer()::tokenText, x -> { });
        return new MonosemanticityResult(s, transformer, sae, trainer.history(), saeSeconds, metrics, neurons, features, featureDash, neuronDash);
    }

    /** The units' activations on every pass of the eval windows: the neurons (sae null) or the SAE's features, with the labels. */
    private static ProxyScores.Chunks chunks(Gpt gpt, TokenWindows eval, boolean[][] labels, String hook, SparseAutoencoder sae) {
        return chunk -> eval.forEachRows(gpt, hook, (rows, at) -> {
            Tensor a = sae == null ? rows : sae.encode(rows);
            boolean[][] l = new boolean[labels.length][];
            for (int c = 0; c < l.length; c++) l[c] = Arrays.copyOfRange(labels[c], at, at + rows.dim(0));
            chunk.accept(a, l);
        });
    }

    /** Feature indices by density, most frequent first, dead ones left out. */
    private static int[] densest(float[] density) {
        return java.util.stream.IntStream.range(0, density.length).boxed().filter(i -> density[i] > 0)
                .sorted((a, b) -> Float.compare(density[b], density[a])).mapToInt(Integer::intValue).toArray();
    }
}
