package dev.loupe.experiments.grokking;

import dev.loupe.analysis.fourier.Fourier;
import dev.loupe.model.ActivationCache;
import dev.loupe.model.Gpt;
import dev.loupe.model.HookPoints;
import dev.loupe.model.LastPositionLoss;
import dev.loupe.tensor.Tensor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Grokking on modular addition (Power et al. 2021), read with Nanda et al.'s progress measures
 * ("Progress measures for grokking via mechanistic interpretability", 2023): a one-layer transformer
 * trained full-batch with strong weight decay on 30 % of the pairs first memorises them (train
 * accuracy 1, test at chance), then — long after — generalises, having built a circuit that adds
 * via rotations at a few key frequencies; the test loss falls in a cliff.
 *
 * <p>The run: seeded split ({@link ModularAddition}), Nanda's model and initialisation
 * ({@link GrokkingModel}), full-batch AdamW on the answer position only ({@link FullBatchTraining}),
 * a snapshot of the weights every {@code checkpointEvery} steps; then the key frequencies of the
 * trained model ({@link KeyFrequencies}) and the {@link ProgressMeasures} of every snapshot.
 */
public final class Grokking {
    private Grokking() {}

    /** Runs the experiment; {@code progress} receives one line at a time (training step, %, ETA; then the analysis). */
    public static GrokkingResult run(GrokkingSettings s, Consumer<String> progress) {
        ModularAddition data = ModularAddition.split(s.p(), s.trainFraction(), s.seed());
        Gpt gpt = GrokkingModel.create(s);
        FullBatchTraining training = new FullBatchTraining(gpt, s, data);
        float[] losses = new float[s.steps()];
        List<Snapshot> snapshots = new ArrayList<>();
        LastPositionLoss eval = new LastPositionLoss(gpt);
        int[] allIds = data.inputs(data.all()), allAnswers = data.answers(data.all());
        double testAccuracy = Double.NaN;
        long start = System.nanoTime(), lastReport = start;
        for (int it = 0; it < s.steps(); it++) {
            if (it % s.checkpointEvery() == 0) {
                snapshots.add(Snapshot.of(it, gpt));
                float[] logits = eval.logits(allIds, allIds.length / ModularAddition.SEQ, ModularAddition.SEQ).toArray();
                testAccuracy = Metrics.accuracy(Metrics.widen(logits), s.p() + 1, data.test(), allAnswers);
            }
            float loss = training.step(it);
            losses[it] = loss;
            long now = System.nanoTime();
            if (now - lastReport > 5_000_000_000L || it == s.steps() - 1) {
                lastReport = now;
                double el = (now - start) / 1e9, eta = el / (it + 1) * (s.steps() - it - 1);
                progress.accept(String.format(Locale.ROOT, "step %d/%d (%.0f%%)  train loss %.4g  test accuracy %.3f  %.1f steps/s  "
                                + "elapsed %.0f s  ETA %.0f s", it + 1, s.steps(), 100.0 * (it + 1) / s.steps(), loss, testAccuracy,
                        (it + 1) / el, el, eta));
            }
        }
        double trainSeconds = (System.nanoTime() - start) / 1e9;
        snapshots.add(Snapshot.of(s.steps(), gpt));

        long analysisStart = System.nanoTime();
        Fourier f = Fourier.of(s.p());
        progress.accept("analysis: key frequencies of the trained model");
        Gpt.CachedRun run = gpt.runWithCache(data.inputs(data.all()), s.p() * s.p(), ModularAddition.SEQ,
                name -> name.equals(HookPoints.name(0, "attn.hook_pattern")) || name.equals(HookPoints.name(0, "mlp.hook_post")));
        float[] acts = lastPosition(run.cache(), HookPoints.name(0, "mlp.hook_post"));          // [p²·d_mlp]
        KeyFrequencies keys = KeyFrequencies.find(acts, s.p(), s.dMlp(), f);
        List<ProgressMeasures> measures = new ArrayList<>();
        for (int i = 0; i < snapshots.size(); i++) {
            Snapshot snap = snapshots.get(i);
            measures.add(ProgressMeasures.of(snap.step, snap.model(gpt), data, f, keys.keys()));
            if (i % 20 == 19) progress.accept(String.format(Locale.ROOT, "analysis: progress measures of checkpoint %d/%d", i + 1, snapshots.size()));
        }
        double analysisSeconds = (System.nanoTime() - analysisStart) / 1e9;

        int mem = firstStep(measures, m -> m.trainAccuracy() >= 0.99, 0);
        int grok = firstStep(measures, m -> m.testAccuracy() >= 0.99, 0);
        int cleanup = mem < 0 ? -1 : firstStep(measures, m -> m.testAccuracy() >= 0.5, mem);
        int neuron = exampleNeuron(keys);
        float[] neuronActs = new float[s.p() * s.p()];
        for (int r = 0; r < neuronActs.length; r++) neuronActs[r] = acts[r * s.dMlp() + neuron];
        return new GrokkingResult(s, data, gpt, losses, List.copyOf(measures), keys,
                f.frequencyNorms(ProgressMeasures.embedding(gpt, s.p())), mem, cleanup, grok,
                attentionToA(run.cache(), s.heads(), s.p()), neuron, neuronActs, trainSeconds, analysisSeconds);
    }

    /** The first measured step ≥ {@code from} where {@code test} holds, or −1. */
    static int firstStep(List<ProgressMeasures> ms, java.util.function.Predicate<ProgressMeasures> test, int from) {
        for (ProgressMeasures m : ms) if (m.step() >= from && test.test(m)) return m.step();
        return -1;
    }

    /**
     * The neuron to picture: of the neurons in the lowest key frequency (the widest stripes), the one
     * with the largest share of its energy there; without key frequencies neuron 0.
     */
    static int exampleNeuron(KeyFrequencies k) {
        if (k.keys().length == 0) return 0;
        int f = k.keys()[0], best = -1;
        for (int u = 0; u < k.neuronShare().length; u++) {
            if (k.neuronFrequency()[u] == f && (best < 0 || k.neuronShare()[u] > k.neuronShare()[best])) best = u;
        }
        return best;
    }

    /** A cached activation [p², 3, w] at the last position, [p²·w]. */
    static float[] lastPosition(ActivationCache cache, String name) {
        Tensor t = cache.get(name);                                  // [N, T, w]
        return t.select(1, ModularAddition.SEQ - 1).contiguous().toArray();
    }

    /** Attention from "=" (query 2) to a (key 0), [heads][p²]. */
    static float[][] attentionToA(ActivationCache cache, int heads, int p) {
        Tensor pattern = cache.get(HookPoints.name(0, "attn.hook_pattern"));   // [N, H, T, T]
        float[][] out = new float[heads][p * p];
        for (int h = 0; h < heads; h++) for (int r = 0; r < p * p; r++) out[h][r] = pattern.get(r, h, ModularAddition.SEQ - 1, 0);
        return out;
    }

    /** A copy of every parameter at one step. */
    record Snapshot(int step, Map<String, float[]> weights) {
        static Snapshot of(int step, Gpt gpt) {
            Map<String, float[]> w = new LinkedHashMap<>();
            gpt.parameters().forEach((k, v) -> w.put(k, v.contiguous().toArray()));
            return new Snapshot(step, w);
        }

        /** A model with these weights and {@code like}'s configuration. */
        Gpt model(Gpt like) {
            Map<String, Tensor> t = new LinkedHashMap<>();
            weights.forEach((k, v) -> t.put(k, Tensor.of(v, like.parameters().get(k).shape())));
            return Gpt.fromWeights(like.config(), t);
        }
    }
}
