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
import static org.assertj.core.api.Assertions.within;

/**
 * Mixture-of-experts models against reference/torch_gpt.py (a straightforward PyTorch MoE with
 * index_select / index_add_ and autograd): logits of one sequence; the LM loss, the aux and z terms
 * and every parameter gradient of one training step (LM + aux + z, with capacity dropping where
 * configured). Same tolerance and reasoning as {@link TorchComparisonTest}: float32 on both sides,
 * different summation orders, 1e-4 of the tensor's largest entry. The random weights make ties in
 * the router's top-k (which the two sides might break differently) practically impossible.
 */
class MoeTorchComparisonTest {
    static final int B = 2, T = 5;

    record Case(GptConfig config, Gpt model, int[] ids, int[] stream, Path logits, Path grads) {}

    static Path work;
    static List<Case> cases;
    static List<JsonNode> results;

    @BeforeAll
    static void runTorch() throws IOException {
        TorchReference.assumeAvailable();
        work = Files.createTempDirectory("loupe-torch-moe");
        cases = new ArrayList<>();
        List<List<String>> jobs = new ArrayList<>();
        long seed = 1;
        for (GptConfig c : MoeModels.variants()) {
            Gpt m = TinyModels.randomModel(c, seed);
            Path dir = work.resolve("m" + seed);
            ModelDirectory.write(dir, c, m.parameters());
            Case k = new Case(c, m, TinyModels.tokens(seed + 100, T, c.vocabSize()),
                    TinyModels.tokens(seed + 200, B * T + 1, c.vocabSize()), dir.resolve("logits.npy"), dir.resolve("grads.safetensors"));
            cases.add(k);
            jobs.add(TorchReference.logitsJob(dir, k.ids, k.logits));
            jobs.add(TorchReference.gradsJob(dir, k.stream, B, T, k.grads));
            seed++;
        }
        results = TorchReference.runJobs(jobs, work);
    }

    @AfterAll
    static void cleanUp() throws IOException {
        if (work == null) return;
        try (Stream<Path> s = Files.walk(work)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    static Case caseOf(GptConfig c) {
        return cases.get(MoeModels.variants().indexOf(c));
    }

    @ParameterizedTest(name = "{index}: {0}")
    @MethodSource("dev.loupe.model.MoeModels#variants")
    void logitsMatchPyTorch(GptConfig c) {
        Case k = caseOf(c);
        Tensor ours = k.model.logits(k.ids, 1, T).reshape(T, c.vocabSize());
        assertThat(TorchComparisonTest.relativeError(ours, Npy.read(k.logits))).as(MoeModels.describe(c))
                .isLessThanOrEqualTo(TorchComparisonTest.TOLERANCE);
    }

    @ParameterizedTest(name = "{index}: {0}")
    @MethodSource("dev.loupe.model.MoeModels#variants")
    void lossRouterTermsAndEveryGradientMatchPyTorch(GptConfig c) {
        Case k = caseOf(c);
        JsonNode torch = results.get(2 * cases.indexOf(k) + 1);
        int[] inputs = java.util.Arrays.copyOfRange(k.stream, 0, B * T);
        int[] targets = java.util.Arrays.copyOfRange(k.stream, 1, B * T + 1);
        k.model.zeroGradients();
        float loss = k.model.forwardBackward(inputs, targets, B, T);
        RouterLosses r = k.model.routerLosses();
        assertThat((double) loss).as("LM loss").isCloseTo(torch.get("loss").asDouble(), within(1e-4 * Math.abs(loss)));
        assertThat(r.aux()).as("aux").isCloseTo(torch.get("aux").asDouble(), within(1e-6 + 1e-5 * r.aux()));
        assertThat(r.z()).as("z").isCloseTo(torch.get("z").asDouble(), within(1e-6 + 1e-5 * r.z()));
        if (c.moe().capacityFactor() != null) assertThat(r.dropped()).as("slots dropped").isPositive();
        Map<String, Tensor> theirs = Safetensors.read(k.grads);
        Map<String, Tensor> ours = k.model.gradients();
        assertThat(ours.keySet()).containsExactlyInAnyOrderElementsOf(theirs.keySet());
        for (String name : ours.keySet()) {
            assertThat(TorchComparisonTest.relativeError(ours.get(name), theirs.get(name)))
                    .as("gradient of %s in %s", name, MoeModels.describe(c)).isLessThanOrEqualTo(TorchComparisonTest.TOLERANCE);
        }
    }
}
