package dev.loupe.experiments.superposition;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.loupe.experiments.Progress;
import dev.loupe.tensor.io.Npy;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * A small sweep (n = 20, m = 5, importance 0.7^i at S = 0 and 0.99, ReLU and linear, 2000 steps; a
 * uniform-importance pair) run once: the paper's qualitative finding, determinism, the files, and the
 * measures against numpy recomputed from the saved .npy files.
 */
class SuperpositionTest {
    @TempDir
    static Path out;
    static Superposition experiment;
    static SuperpositionResult result;

    static final Superposition.Family FAMILY = new Superposition.Family(20, 5, 0.7);

    @BeforeAll
    static void run() {
        Superposition.Settings s = new Superposition.Settings(3, 1, 2000, 1024, ToyModel.Optimizer.paper(), List.of(FAMILY),
                List.of(0.0, 0.99), new Superposition.Family(12, 3, 1.0), List.of(0.0, 0.9));
        experiment = new Superposition(s);
        result = experiment.run(Progress.SILENT);
        SuperpositionReport.write(out, result);
    }

    private static TrainedToyModel model(boolean relu, double sparsity) {
        return result.sweep(FAMILY, relu).stream().filter(t -> t.spec().sparsity() == sparsity).findFirst().orElseThrow();
    }

    /** The paper's Figure 3 in two columns: dense, the ReLU model keeps about m features; sparse, many more, in superposition. */
    @Test
    void sparseFeaturesGoIntoSuperpositionAndDenseOnesDoNot() {
        TrainedToyModel dense = model(true, 0), sparse = model(true, 0.99);
        assertThat(dense.measures().featuresRepresented()).as("ReLU, S = 0").isBetween(4, 6);
        assertThat(sparse.measures().featuresRepresented()).as("ReLU, S = 0.99").isGreaterThan(FAMILY.m() + 2);
        assertThat(sparse.measures().dimensionsPerFeature()).isLessThan(0.7);
        // the control: a linear model never represents more than m
        assertThat(model(false, 0.99).measures().featuresRepresented()).as("linear, S = 0.99").isLessThanOrEqualTo(FAMILY.m());
        // and the most important features are the ones kept when dense
        double[] norms = dense.measures().norms();
        for (int i = 0; i < 4; i++) assertThat(norms[i]).as("‖W_%d‖", i).isGreaterThan(0.5);
        assertThat(norms[FAMILY.n() - 1]).isLessThan(0.5);
    }

    /** Same seed, same bits — trained alone on this thread or side by side in the sweep; another seed differs. */
    @Test
    void deterministicGivenTheSeedWhateverTheThreads() {
        TrainedToyModel inSweep = model(true, 0.99);
        TrainedToyModel alone = experiment.train(inSweep.spec());
        assertThat(alone.w().toArray()).isEqualTo(inSweep.w().toArray());
        assertThat(alone.b().toArray()).isEqualTo(inSweep.b().toArray());
        assertThat(alone.loss()).isEqualTo(inSweep.loss());
        Superposition.Spec other = new Superposition.Spec(FAMILY, 0.99, true, 4, false);
        assertThat(experiment.train(other).w().toArray()).isNotEqualTo(inSweep.w().toArray());
    }

    @Test
    void reportListsEveryModelWithItsFiles() throws Exception {
        JsonNode j = new ObjectMapper().readTree(out.resolve("report.json").toFile());
        assertThat(j.get("models")).hasSize(6);
        for (JsonNode m : j.get("models")) {
            for (String key : List.of("n", "m", "importance_decay", "sparsity", "seed", "features_represented",
                    "dimensions_per_feature", "loss", "w_path", "b_path")) {
                assertThat(m.has(key)).as(key).isTrue();
            }
            assertThat(Npy.read(out.resolve(m.get("w_path").asText())).shape()).containsExactly(m.get("m").asInt(), m.get("n").asInt());
        }
        TrainedToyModel first = result.models().getFirst();
        assertThat(Npy.read(out.resolve(j.get("models").get(0).get("w_path").asText())).toArray()).isEqualTo(first.w().toArray());
        for (String png : List.of("weights_n20_m5_decay0.7.png", "features_represented.png", "feature_dimensionality.png")) {
            assertThat(Files.size(out.resolve(png))).as(png).isGreaterThan(1000);
        }
        String html = Files.readString(out.resolve("report.html"));
        assertThat(html).contains("data:image/png;base64,", "MATCHED").doesNotContain("<script");
    }

    /** ‖W_i‖, Σ_{j≠i}(Ŵ_i·W_j)², D_i, D* and the count of represented features, recomputed by numpy from the .npy files. */
    @Test
    void measuresEqualNumpyOnTheSavedWeights() throws Exception {
        Path python = Path.of("/usr/bin/python3");
        Assumptions.assumeTrue(Files.isExecutable(python), "no /usr/bin/python3: numpy comparison skipped");
        Process probe = new ProcessBuilder(python.toString(), "-c", "import numpy").redirectErrorStream(true).start();
        Assumptions.assumeTrue(probe.waitFor(60, TimeUnit.SECONDS) && probe.exitValue() == 0,
                "/usr/bin/python3 has no numpy (apt-get install python3-numpy): numpy comparison skipped");
        Path script = out.resolve("superposition_measures.py");
        try (var in = getClass().getResourceAsStream("superposition_measures.py")) {
            Files.copy(in, script);
        }
        Process p = new ProcessBuilder(python.toString(), script.toString(), out.toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String stdout = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(stdout).isZero();
        JsonNode numpy = new ObjectMapper().readTree(stdout);
        JsonNode ours = new ObjectMapper().readTree(out.resolve("report.json").toFile()).get("models");
        assertThat(numpy).hasSize(ours.size());
        for (int k = 0; k < ours.size(); k++) {
            JsonNode a = ours.get(k), b = numpy.get(k);
            assertThat(a.get("features_represented").asInt()).isEqualTo(b.get("features_represented").asInt());
            assertThat(a.get("dimensions_per_feature").asDouble()).isCloseTo(b.get("dimensions_per_feature").asDouble(), within(1e-9));
            for (String key : List.of("feature_norms", "superposition", "feature_dimensionality")) {
                for (int i = 0; i < a.get(key).size(); i++) {
                    assertThat(a.get(key).get(i).asDouble()).as("%s[%d] of model %d", key, i, k)
                            .isCloseTo(b.get(key).get(i).asDouble(), within(1e-9));
                }
            }
        }
        // not all trivially zero: the sparse ReLU model has features in superposition
        assertThat(java.util.Arrays.stream(model(true, 0.99).measures().superposition()).max().orElse(0)).isGreaterThan(0.1);
    }
}
