package dev.loupe.experiments.superposition;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The toy model's training equals PyTorch's (x' = ReLU(WᵀW x + b), Σ_i I_i (x_i − x'_i)² averaged over
 * the batch, torch.optim.AdamW on W and b) step by step on the same batches from the same initial W:
 * the forward pass, the gradients of the dense and the sparse-input paths, and the AdamW update.
 */
class ToyModelTorchTest {

    @ParameterizedTest(name = "relu {0}, sparsity {1}, sparse path {2}")
    @CsvSource({"true, 0.0, false", "true, 0.9, true", "false, 0.7, true"})
    void trainingEqualsPyTorch(boolean relu, double sparsity, boolean sparsePath, @TempDir Path dir) throws Exception {
        Path python = Path.of("/usr/bin/python3");
        Assumptions.assumeTrue(Files.isExecutable(python), "no /usr/bin/python3: PyTorch comparison skipped");
        Process probe = new ProcessBuilder(python.toString(), "-c", "import torch").redirectErrorStream(true).start();
        Assumptions.assumeTrue(probe.waitFor(60, TimeUnit.SECONDS) && probe.exitValue() == 0,
                "/usr/bin/python3 has no torch (apt-get install python3-torch): PyTorch comparison skipped");

        int n = 12, m = 4, batch = 64, steps = 30;
        float[] importance = ToyModel.importance(n, 0.8);
        // lr 1e-2 so that 30 steps move W well away from its start; the weight decay is PyTorch's default
        ToyModel.Optimizer opt = new ToyModel.Optimizer(1e-2, 0.9, 0.999, 1e-8, 0.01);
        SplittableRandom random = new SplittableRandom(5);
        ToyModel model = new ToyModel(n, m, importance, relu, random);
        float[] w0 = model.w().toArray();
        SparseFeatures data = new SparseFeatures(n, sparsity);
        int[] idx = new int[n];
        float[] val = new float[n];
        float[][] xs = new float[steps][batch * n];
        for (float[] x : xs) {
            for (int s = 0; s < batch; s++) {
                int k = data.sample(random, idx, val, 0);
                for (int q = 0; q < k; q++) x[s * n + idx[q]] = val[q];
            }
        }
        float[] ours = model.trainOn(xs, batch, sparsePath, opt);

        Map<String, Object> job = new LinkedHashMap<>();
        job.put("n", n);
        job.put("m", m);
        job.put("batch", batch);
        job.put("relu", relu);
        job.put("w", w0);
        job.put("importance", importance);
        job.put("batches", xs);
        job.put("lr", opt.lr());
        job.put("beta1", opt.beta1());
        job.put("beta2", opt.beta2());
        job.put("eps", opt.eps());
        job.put("weight_decay", opt.weightDecay());
        ObjectMapper json = new ObjectMapper();
        Path jobFile = dir.resolve("job.json"), script = dir.resolve("torch_toy_model.py");
        json.writeValue(jobFile.toFile(), job);
        try (var in = getClass().getResourceAsStream("torch_toy_model.py")) {
            Files.copy(in, script);
        }
        Process p = new ProcessBuilder(python.toString(), script.toString(), jobFile.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        JsonNode torch = json.readTree(out);

        for (int t = 0; t < steps; t++) {
            assertThat((double) ours[t]).as("loss of step %d", t + 1).isCloseTo(torch.get("losses").get(t).asDouble(), within(2e-5));
        }
        assertThat(ours[steps - 1]).isLessThan(0.8f * ours[0]);   // it trained
        float[] w = model.w().toArray(), b = model.b().toArray();
        for (int i = 0; i < w.length; i++) assertThat((double) w[i]).as("W[%d]", i).isCloseTo(torch.get("w").get(i).asDouble(), within(2e-4));
        for (int i = 0; i < b.length; i++) assertThat((double) b[i]).as("b[%d]", i).isCloseTo(torch.get("b").get(i).asDouble(), within(2e-4));
    }
}
