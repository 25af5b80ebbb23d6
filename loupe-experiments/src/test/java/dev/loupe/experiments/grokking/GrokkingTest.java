package dev.loupe.experiments.grokking;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.loupe.analysis.fourier.Fourier;
import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.model.io.ModelDirectory;
import dev.loupe.tokens.Tokenizers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * A short grokking run at small p (p = 23, a narrow model, 300 steps): the run and its report, the model
 * directory round trip, and the progress measures against an independent numpy/PyTorch recomputation
 * ({@code reference/grokking_measures.py}, skipped without torch).
 */
class GrokkingTest {
    static final GrokkingSettings SETTINGS = GrokkingSettings.nanda(300, 3).withP(23).withSize(32, 4, 64).withCheckpointEvery(50);
    static Path out;
    static GrokkingResult result;
    static JsonNode json;

    @BeforeAll
    static void runOnce() throws IOException {
        out = Files.createTempDirectory("loupe-grokking");
        List<String> lines = new ArrayList<>();
        result = Grokking.run(SETTINGS, lines::add);
        GrokkingReport.write(result, out);
        json = new ObjectMapper().readTree(out.resolve("report.json").toFile());
        assertThat(lines).anyMatch(l -> l.startsWith("step 300/300 (100%)"));
    }

    @AfterAll
    static void cleanUp() throws IOException {
        if (out == null) return;
        try (Stream<Path> s = Files.walk(out)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Test
    void theSplitTakesTheFractionOfPairsAndIsSeeded() {
        ModularAddition d = result.data();
        assertThat(d.train().length).isEqualTo(Math.round(0.3 * 23 * 23));
        assertThat(d.train().length + d.test().length).isEqualTo(23 * 23);
        assertThat(ModularAddition.split(23, 0.3, 3).train()).isEqualTo(d.train());
        assertThat(ModularAddition.split(23, 0.3, 4).train()).isNotEqualTo(d.train());
        assertThat(d.inputs(new int[] {5 * 23 + 7})).containsExactly(5, 7, 23);
        assertThat(d.answers(new int[] {20 * 23 + 7})).containsExactly(4);
    }

    @Test
    void theRunMemorisesAndMeasuresEveryCheckpoint() {
        assertThat(result.checkpoints()).extracting(ProgressMeasures::step).containsExactly(0, 50, 100, 150, 200, 250, 300);
        assertThat(result.trainLossPerStep()).hasSize(300);
        assertThat(result.last().trainAccuracy()).isGreaterThanOrEqualTo(0.99);
        assertThat(result.memorisationStep()).isBetween(50, 300);
        assertThat(result.last().trainLoss()).isLessThan(result.checkpoints().getFirst().trainLoss() / 10);
        assertThat(result.embeddingSpectrum()).hasSize(11);
        assertThat(result.attentionToA()).hasNumberOfRows(4);
        for (float[] head : result.attentionToA()) for (float v : head) assertThat(v).isBetween(0f, 1f);
    }

    @Test
    void reportJsonHasTheKeysOfTheIssue() {
        for (String key : List.of("p", "train_fraction", "steps", "train_accuracy", "test_accuracy", "memorisation_step",
                "grokking_step", "key_frequencies", "model_dir", "checkpoints", "embedding_fourier_norms")) {
            assertThat(json.has(key)).as(key).isTrue();
        }
        assertThat(json.get("p").asInt()).isEqualTo(23);
        assertThat(json.get("train_fraction").asDouble()).isEqualTo(0.3);
        assertThat(json.get("steps").asInt()).isEqualTo(300);
        assertThat(json.get("memorisation_step").asInt()).isEqualTo(result.memorisationStep());
        assertThat(json.get("key_frequencies").isArray()).isTrue();
        for (JsonNode k : json.get("key_frequencies")) assertThat(k.asInt()).isBetween(1, 11);
        assertThat(json.get("model_dir").asText()).isEqualTo("model");
        assertThat(json.get("checkpoints")).hasSize(7);
        for (String pic : GrokkingReport.PICTURES) assertThat(out.resolve(pic)).isRegularFile();
        assertThat(out.resolve("report.html")).content().contains("Grokking on modular addition", "loss.png");
    }

    @Test
    void theModelDirectoryRoundTrips() {
        Path dir = out.resolve(json.get("model_dir").asText());
        ModelDirectory.LoadedModel m = ModelDirectory.read(dir);
        assertThat(m.config()).isEqualTo(result.model().config());
        assertThat(m.config().norm()).isEqualTo(GptConfig.Norm.NONE);
        assertThat(m.config().attnBias()).isFalse();
        assertThat(m.weights().keySet()).noneMatch(n -> n.contains("ln_") || n.contains("attn.c_attn.bias"));
        Gpt back = Gpt.fromWeights(m.config(), m.weights());
        assertThat(ProgressMeasures.gridLogits(back, result.data())).containsExactly(ProgressMeasures.gridLogits(result.model(), result.data()));
        assertThat(Tokenizers.require(dir).vocabSize()).isEqualTo(24);
        assertThat(Tokenizers.require(dir).encode("ĀĄ＝")).containsExactly(0, 4, 23);
    }

    @Test
    void theMeasuresEqualANumpyAndPyTorchRecomputation() {
        PythonReference.assumeAvailable();
        int[] keys = result.keys().keys().length > 0 ? result.keys().keys() : new int[] {1, 4};
        ProgressMeasures ours = ProgressMeasures.of(300, result.model(), result.data(), Fourier.of(23), keys);
        StringBuilder train = new StringBuilder(), k = new StringBuilder();
        for (int i : result.data().train()) train.append(train.isEmpty() ? "" : ",").append(i);
        for (int i : keys) k.append(k.isEmpty() ? "" : ",").append(i);
        JsonNode theirs = PythonReference.run("grokking_measures.py", "--model", out.resolve("model").toString(), "--p", "23",
                "--train", train.toString(), "--keys", k.toString());
        assertThat(theirs.get("basis_error").asDouble()).isLessThan(1e-12);
        assertThat(ours.trainAccuracy()).isEqualTo(theirs.get("train_accuracy").asDouble());
        assertThat(ours.testAccuracy()).isEqualTo(theirs.get("test_accuracy").asDouble());
        close(ours.trainLoss(), theirs, "train_loss");
        close(ours.testLoss(), theirs, "test_loss");
        close(ours.restrictedLoss(), theirs, "restricted_loss");
        close(ours.excludedLoss(), theirs, "excluded_loss");
        close(ours.giniEmbedding(), theirs, "gini_embedding");
        close(ours.giniNeuronLogit(), theirs, "gini_neuron_logit");
        close(ours.sumSquaredWeights(), theirs, "sum_squared_weights");
    }

    /** float32 forward passes in both: 1e-4 relative (a wrong definition is off by far more). */
    private static void close(double ours, JsonNode theirs, String key) {
        double t = theirs.get(key).asDouble();
        assertThat(ours).as(key).isCloseTo(t, within(1e-4 * Math.max(1, Math.abs(t))));
    }
}
