package dev.loupe.model.lora;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loupe.model.Gpt;
import dev.loupe.model.io.ModelDirectory;
import dev.loupe.model.io.Safetensors;
import dev.loupe.model.io.TorchReference;
import dev.loupe.tensor.Tensor;
import dev.loupe.train.AdamW;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * LoRA against PyTorch autograd ({@code reference/torch_gpt.py --adapter}): the adapter gradients
 * of one batch, and a 10-step AdamW trajectory of the adapters alone. Skipped without torch.
 * Tolerances: float32 sums of a few hundred terms agree to ~1e-6 relative; 1e-4 of the largest
 * gradient and 1e-5 on losses of ~2.6 leave a wide margin while a wrong term is of the gradient's order.
 */
class LoraTorchTest {
    static final int B = 2, T = 6;
    @TempDir
    Path dir;

    @Test
    void gradientsAndTrajectoryEqualPyTorch() {
        TorchReference.assumeAvailable();
        Gpt base = LoraModelTest.base();
        Path modelDir = dir.resolve("model"), adapterDir = dir.resolve("adapter");
        ModelDirectory.write(modelDir, LoraModelTest.C, base.parameters());
        LoraModel m = LoraModel.create(LoraModelTest.C, base.parameters(), LoraModelTest.ALL, 2);
        LoraModelTest.randomizeB(m, 5);
        AdapterFiles.write(adapterDir, m.lora(), m.parameters());
        int[] tokens = new int[B * T * 10 + 1];
        for (int i = 0; i < tokens.length; i++) tokens[i] = (i * 7 + i / 5) % 13;
        String ids = Arrays.stream(tokens).mapToObj(Integer::toString).collect(Collectors.joining(","));

        Path grads = dir.resolve("grads.safetensors");
        JsonNode g = TorchReference.run("grads", "--model", modelDir.toString(), "--adapter", adapterDir.toString(), "--ids", ids,
                "--batch", "" + B, "--seq", "" + T, "--out", grads.toString());
        m.zeroGradients();
        float loss = m.forwardBackward(Arrays.copyOfRange(tokens, 0, B * T), Arrays.copyOfRange(tokens, 1, B * T + 1), B, T);
        assertThat((double) loss).isCloseTo(g.path("loss").asDouble(), org.assertj.core.data.Offset.offset(1e-5));
        Map<String, Tensor> torch = Safetensors.read(grads);
        assertThat(torch.keySet()).isEqualTo(m.gradients().keySet());
        for (var e : m.gradients().entrySet()) {
            Tensor want = torch.get(e.getKey());
            float scale = 0;
            for (float v : want.toArray()) scale = Math.max(scale, Math.abs(v));
            assertThat(e.getValue().maxAbsDiff(want)).as(e.getKey()).isLessThanOrEqualTo(1e-4f * scale + 1e-7f);
        }

        JsonNode run = TorchReference.run("train", "--model", modelDir.toString(), "--adapter", adapterDir.toString(), "--ids", ids,
                "--batch", "" + B, "--seq", "" + T, "--steps", "10", "--lr", "0.01", "--schedule", "constant", "--weight-decay", "0.1");
        AdamW opt = new AdamW(m.parameters(), new AdamW.Settings(0.9, 0.95, 1e-8, 0.1));
        for (int it = 0; it < 10; it++) {
            int from = it * B * T;
            m.zeroGradients();
            float l = m.forwardBackward(Arrays.copyOfRange(tokens, from, from + B * T), Arrays.copyOfRange(tokens, from + 1, from + B * T + 1), B, T);
            assertThat((double) l).as("loss of step %d", it).isCloseTo(run.path("losses").get(it).asDouble(), org.assertj.core.data.Offset.offset(1e-4));
            opt.step(0.01, m.gradients());
        }
    }
}
