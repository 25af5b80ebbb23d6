package dev.loupe.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loupe.model.io.ModelDirectory;
import dev.loupe.model.io.Safetensors;
import dev.loupe.model.io.TorchReference;
import dev.loupe.tensor.Tensor;
import dev.loupe.tensor.io.Npy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Loupe's {@link Gpt} against the independent PyTorch implementation {@code reference/torch_gpt.py},
 * for every variant: logits of one sequence, and the loss and every parameter gradient of one
 * forward/backward on a batch. The model goes to PyTorch through a model directory, so the
 * directory format is part of what is checked.
 *
 * <p>Tolerance: ‖loupe − torch‖∞ ≤ 1e-4 · ‖torch‖∞ per tensor. Both sides compute in float32 with
 * different summation orders (blocked GEMMs, vector lanes); at these sizes (d_model 8, a handful of
 * layers, sums over ≤ 2·5 positions) the accumulated rounding is a few ulps, ~1e-6 relative, so
 * 1e-4 leaves two orders of magnitude of margin while any wrong formula (a missing √d_head, erf
 * instead of tanh GELU, a transposed weight, gate and up swapped) is off by far more.
 */
class TorchComparisonTest {
    static final int B = 2, T = 5;
    static final double TOLERANCE = 1e-4;

    record Case(GptConfig config, Gpt model, int[] ids, int[] stream, Path logits, Path grads) {
        @Override
        public String toString() {
            return TinyModels.describe(config);
        }
    }

    static Path work;
    static List<Case> cases;
    static List<JsonNode> results;

    static List<GptConfig> variants() {
        List<GptConfig> all = new java.util.ArrayList<>(TinyModels.allVariants());
        all.addAll(TinyModels.attentionKindVariants());
        all.addAll(TinyModels.highwayVariants());
        return all;
    }

    @BeforeAll
    static void runTorchOnEveryVariant() throws IOException {
        TorchReference.assumeAvailable();
        work = Files.createTempDirectory("loupe-torch");
        cases = new ArrayList<>();
        results = runTorch(variants(), work, cases);
    }

    /**
     * Writes a random model of each configuration into {@code work}, adds its {@link Case} to
     * {@code cases}, and asks PyTorch, in one process, for each one's logits (job 2i) and loss and
     * gradients (job 2i + 1).
     */
    static List<JsonNode> runTorch(List<GptConfig> configs, Path work, List<Case> cases) {
        List<List<String>> jobs = new ArrayList<>();
        long seed = 1;
        for (GptConfig c : configs) {
            Gpt m = TinyModels.randomModel(c, seed);
            Path dir = work.resolve("m" + seed);
            ModelDirectory.write(dir, c, m.parameters());
            Case k = new Case(c, m, TinyModels.tokens(seed + 100, T, c.vocabSize()),
                    TinyModels.tokens(seed + 200, B * T + 1, c.vocabSize()), dir.resolve("logits.npy"),
                    dir.resolve("grads.safetensors"));
            cases.add(k);
            jobs.add(TorchReference.logitsJob(dir, k.ids, k.logits));
            jobs.add(TorchReference.gradsJob(dir, k.stream, B, T, k.grads));
            seed++;
        }
        return TorchReference.runJobs(jobs, work);
    }

    @AfterAll
    static void cleanUp() throws IOException {
        delete(work);
    }

    /** Deletes a temporary directory tree (nothing when null). */
    static void delete(Path work) throws IOException {
        if (work == null) return;
        try (Stream<Path> s = Files.walk(work)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    static double relativeError(Tensor loupe, Tensor torch) {
        assertThat(loupe.shape()).isEqualTo(torch.shape());
        float[] a = loupe.toArray(), b = torch.toArray();
        double diff = 0, scale = 0;
        for (int i = 0; i < a.length; i++) {
            diff = Math.max(diff, Math.abs(a[i] - b[i]));
            scale = Math.max(scale, Math.abs(b[i]));
        }
        return scale == 0 ? diff : diff / scale;
    }

    static Case caseOf(GptConfig c) {
        return cases.get(variants().indexOf(c));
    }

    @ParameterizedTest(name = "{index}: {0}")
    @MethodSource("variants")
    void logitsMatchPyTorch(GptConfig c) {
        Case k = caseOf(c);
        Tensor ours = k.model.logits(k.ids, 1, T).reshape(T, c.vocabSize());
        Tensor theirs = Npy.read(k.logits);
        assertThat(relativeError(ours, theirs)).as("logits of %s", k).isLessThanOrEqualTo(TOLERANCE);
    }

    @ParameterizedTest(name = "{index}: {0}")
    @MethodSource("variants")
    void lossAndEveryGradientMatchPyTorch(GptConfig c) {
        Case k = caseOf(c);
        int index = cases.indexOf(k);
        float torchLoss = (float) results.get(2 * index + 1).get("loss").asDouble();
        int[] inputs = java.util.Arrays.copyOfRange(k.stream, 0, B * T);
        int[] targets = java.util.Arrays.copyOfRange(k.stream, 1, B * T + 1);
        k.model.zeroGradients();
        float loss = k.model.forwardBackward(inputs, targets, B, T);
        assertThat((double) Math.abs(loss - torchLoss)).as("loss").isLessThanOrEqualTo(TOLERANCE * Math.abs(torchLoss));
        Map<String, Tensor> theirs = Safetensors.read(k.grads);
        Map<String, Tensor> ours = k.model.gradients();
        assertThat(ours.keySet()).containsExactlyInAnyOrderElementsOf(theirs.keySet());
        for (String name : ours.keySet()) {
            assertThat(relativeError(ours.get(name), theirs.get(name))).as("gradient of %s in %s", name, k)
                    .isLessThanOrEqualTo(TOLERANCE);
        }
    }
}
