package dev.loupe.experiments.grokking;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.analysis.fourier.Fourier;
import dev.loupe.model.io.ModelDirectory;
import dev.loupe.tensor.io.AtomicFiles;
import dev.loupe.tokens.CharTokenizer;
import dev.loupe.tokens.Tokenizers;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Writes a grokking run into a directory: {@code model/} (a normal model directory with a character
 * tokenizer: id i &lt; p is the character U+0100 + i, "=" is U+FF1D "＝"), {@code report.json},
 * {@code report.html} and its PNG pictures.
 */
public final class GrokkingReport {
    /** The model directory inside the output directory. */
    public static final String MODEL_DIR = "model";
    /** The pictures, in the order the page shows them. */
    public static final List<String> PICTURES = List.of("loss.png", "accuracy.png", "restricted_excluded.png", "gini.png",
            "weights.png", "fourier_embedding.png", "fourier_basis.png", "attention.png", "neuron.png");

    private GrokkingReport() {}

    /** The tokenizer of the model directory: id i &lt; p ↦ U+0100 + i, id p ("=") ↦ U+FF1D. */
    public static CharTokenizer tokenizer(int p) {
        List<String> chars = new ArrayList<>();
        for (int i = 0; i < p; i++) chars.add(new String(Character.toChars(0x100 + i)));
        chars.add("＝");
        return CharTokenizer.of(chars);
    }

    /** Writes everything into {@code out} (created if needed); returns the JSON report. */
    public static ObjectNode write(GrokkingResult r, Path out) {
        Path model = out.resolve(MODEL_DIR);
        ModelDirectory.write(model, r.model().config(), r.model().parameters());
        Tokenizers.save(tokenizer(r.settings().p()), model);
        pictures(r, out);
        ObjectNode json = json(r);
        AtomicFiles.writeString(out.resolve("report.json"), json.toPrettyString() + "\n");
        AtomicFiles.writeString(out.resolve("report.html"), GrokkingHtml.page(r, json));
        return json;
    }

    /** The JSON report (keys of issue 14, then the curves). */
    public static ObjectNode json(GrokkingResult r) {
        GrokkingSettings s = r.settings();
        ProgressMeasures last = r.last();
        ObjectNode o = new ObjectMapper().createObjectNode();
        o.put("reproduction", "grokking");
        o.put("p", s.p());
        o.put("train_fraction", s.trainFraction());
        o.put("steps", s.steps());
        o.put("seed", s.seed());
        o.put("train_accuracy", last.trainAccuracy());
        o.put("test_accuracy", last.testAccuracy());
        o.put("train_loss", last.trainLoss());
        o.put("test_loss", last.testLoss());
        step(o, "memorisation_step", r.memorisationStep());
        step(o, "cleanup_start_step", r.cleanupStartStep());
        step(o, "grokking_step", r.grokkingStep());
        ArrayNode keys = o.putArray("key_frequencies");
        ArrayNode neurons = o.putArray("neurons_per_key_frequency");
        for (int k : r.keys().keys()) {
            keys.add(k);
            neurons.add(r.keys().neuronsPerFrequency()[k]);
        }
        o.put("model_dir", MODEL_DIR);
        o.put("checkpoint_every", s.checkpointEvery());
        ObjectNode model = o.putObject("model");
        model.put("d_model", s.dModel()).put("heads", s.heads()).put("d_mlp", s.dMlp()).put("layers", 1).put("vocab", s.p() + 1)
                .put("norm", "none").put("attn_bias", false);
        ObjectNode opt = o.putObject("optimizer");
        opt.put("lr", s.lr()).put("weight_decay", s.weightDecay()).put("beta1", s.beta1()).put("beta2", s.beta2()).put("warmup", s.warmup());
        ObjectNode timing = o.putObject("timing");
        timing.put("train_seconds", r.trainSeconds()).put("steps_per_second", r.stepsPerSecond()).put("analysis_seconds", r.analysisSeconds());
        ArrayNode spectrum = o.putArray("embedding_fourier_norms");
        for (double v : r.embeddingSpectrum()) spectrum.add(v);
        o.putObject("example_neuron").put("index", r.neuron()).put("frequency", r.keys().neuronFrequency()[r.neuron()]);
        ArrayNode cps = o.putArray("checkpoints");
        for (ProgressMeasures m : r.checkpoints()) {
            cps.addObject().put("step", m.step()).put("train_loss", m.trainLoss()).put("test_loss", m.testLoss())
                    .put("train_accuracy", m.trainAccuracy()).put("test_accuracy", m.testAccuracy())
                    .put("restricted_loss", m.restrictedLoss()).put("excluded_loss", m.excludedLoss())
                    .put("gini_embedding", m.giniEmbedding()).put("gini_neuron_logit", m.giniNeuronLogit())
                    .put("sum_squared_weights", m.sumSquaredWeights());
        }
        ArrayNode pics = o.putArray("pictures");
        PICTURES.forEach(pics::add);
        return o;
    }

    private static void step(ObjectNode o, String key, int step) {
        if (step < 0) o.putNull(key);
        else o.put(key, step);
    }

    static void pictures(GrokkingResult r, Path out) {
        int p = r.settings().p();
        GrokkingCharts.curves(out.resolve("loss.png"), "Loss (log scale): memorisation, circuit formation, clean-up", "cross-entropy",
                true, r, List.of("train", "test"), ProgressMeasures::trainLoss, ProgressMeasures::testLoss);
        GrokkingCharts.curves(out.resolve("accuracy.png"), "Accuracy", "accuracy", false, r, List.of("train", "test"),
                ProgressMeasures::trainAccuracy, ProgressMeasures::testAccuracy);
        GrokkingCharts.curves(out.resolve("restricted_excluded.png"), "Restricted and excluded loss (key frequencies "
                        + keyList(r) + ")", "cross-entropy", true, r, List.of("train", "test", "restricted (all pairs)", "excluded (train)"),
                ProgressMeasures::trainLoss, ProgressMeasures::testLoss, ProgressMeasures::restrictedLoss, ProgressMeasures::excludedLoss);
        GrokkingCharts.curves(out.resolve("gini.png"), "Gini coefficient of the Fourier component norms", "Gini", false, r,
                List.of("W_E", "W_L = W_out·W_U"), ProgressMeasures::giniEmbedding, ProgressMeasures::giniNeuronLogit);
        GrokkingCharts.curves(out.resolve("weights.png"), "Total sum of squared weights", "Σ w²", false, r,
                List.of("Σ w²"), ProgressMeasures::sumSquaredWeights);
        GrokkingCharts.spectrum(out.resolve("fourier_embedding.png"), r);
        double[][] basis = Fourier.of(p).basis();
        float[] flat = new float[p * p];
        for (int i = 0; i < p; i++) for (int x = 0; x < p; x++) flat[i * p + x] = (float) basis[i][x];
        GrokkingCharts.heatmaps(out.resolve("fourier_basis.png"), "The Fourier basis of Z_p: row i = const, cos 1, sin 1, cos 2, …; column x",
                List.of("basis vectors (rows) over x (columns)"), new float[][] {flat}, p);
        List<String> heads = new ArrayList<>();
        for (int h = 0; h < r.attentionToA().length; h++) heads.add(dev.loupe.analysis.circuits.HeadId.name(0, h));   // the one layer's heads
        GrokkingCharts.heatmaps(out.resolve("attention.png"), "Attention from \"=\" to a, per head, over (a, b)", heads, r.attentionToA(), p);
        GrokkingCharts.heatmaps(out.resolve("neuron.png"), String.format(Locale.ROOT, "MLP neuron %d at \"=\" over (a, b) (frequency %d)",
                r.neuron(), r.keys().neuronFrequency()[r.neuron()]), List.of("activation"), new float[][] {r.neuronActivation()}, p);
    }

    static String keyList(GrokkingResult r) {
        int[] k = r.keys().keys();
        if (k.length == 0) return "none found";
        StringBuilder sb = new StringBuilder();
        for (int x : k) sb.append(sb.isEmpty() ? "" : ", ").append(x);
        return sb.toString();
    }
}
