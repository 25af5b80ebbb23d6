package dev.loupe.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loupe.model.io.ModelDirectory;
import dev.loupe.model.io.Safetensors;
import dev.loupe.model.io.TorchReference;
import dev.loupe.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link LastPositionLoss} computes the loss of the last positions only, skipping the work that loss
 * never reads; it must still equal the whole model's: its logits are the last rows of
 * {@link Gpt#logits}, and its loss and every gradient equal PyTorch's {@code loss(..., last_only)}
 * (reference/torch_gpt.py {@code grads --last-only}), for pre-LN and no-LN models, one and two blocks,
 * with and without the (token, position) table of one-block models.
 */
class LastPositionLossTest {
    static final int T = 4;
    /** 3 sequences: the general path; 16 &gt; V = 11 sequences: one-block models take the (token, position) table. */
    static final int[] BATCHES = {3, 16};

    static List<GptConfig> configs() {
        return List.of(
                TinyModels.config(GptConfig.Positional.LEARNED, GptConfig.Norm.NONE, GptConfig.Mlp.RELU, false, 1).withAttnBias(false),
                TinyModels.config(GptConfig.Positional.LEARNED, GptConfig.Norm.PRE, GptConfig.Mlp.GELU, true, 2),
                TinyModels.config(GptConfig.Positional.SINUSOIDAL, GptConfig.Norm.NONE, GptConfig.Mlp.NONE, false, 2));
    }

    @Test
    void logitsAreTheLastRowsOfTheFullForward() {
        for (int B : BATCHES) for (GptConfig c : configs()) {
            Gpt gpt = TinyModels.randomModel(c, 5);
            int[] ids = TinyModels.tokens(9, B * T, c.vocabSize());
            Tensor full = gpt.logits(ids, B, T);                                   // [B, T, V]
            LastPositionLoss head = new LastPositionLoss(gpt);
            Tensor last = head.logits(ids, B, T);                                  // [B, V]
            assertThat(head.usesTokenTable()).isEqualTo(c.nLayer() == 1 && B > c.vocabSize());
            for (int b = 0; b < B; b++)
                for (int v = 0; v < c.vocabSize(); v++) {
                    assertThat((double) last.get(b, v)).as("%s row %d", TinyModels.describe(c), b)
                            .isCloseTo(full.get(b, T - 1, v), org.assertj.core.data.Offset.offset(1e-5));
                }
        }
    }

    @Test
    void lossAndGradientsEqualPyTorchLastPositionLoss(@TempDir Path dir) {
        TorchReference.assumeAvailable();
        List<List<String>> jobs = new ArrayList<>();
        List<Gpt> models = new ArrayList<>();
        List<int[]> streams = new ArrayList<>();
        List<Integer> batches = new ArrayList<>();
        for (int i = 0; i < 2 * configs().size(); i++) {
            GptConfig c = configs().get(i % configs().size());
            int B = BATCHES[i / configs().size()];
            batches.add(B);
            Gpt gpt = TinyModels.randomModel(c, 11 + i);
            Path m = dir.resolve("m" + i);
            ModelDirectory.write(m, c, gpt.parameters());
            int[] stream = TinyModels.tokens(31 + i, B * T + 1, c.vocabSize());
            List<String> job = new ArrayList<>(TorchReference.gradsJob(m, stream, B, T, m.resolve("grads.safetensors")));
            job.add("--last-only");
            jobs.add(job);
            models.add(gpt);
            streams.add(stream);
        }
        List<JsonNode> results = TorchReference.runJobs(jobs, dir);
        for (int i = 0; i < models.size(); i++) {
            Gpt gpt = models.get(i);
            int B = batches.get(i);
            int[] stream = streams.get(i);
            int[] targets = new int[B];
            for (int b = 0; b < B; b++) targets[b] = stream[b * T + T];
            gpt.zeroGradients();
            float loss = new LastPositionLoss(gpt).forwardBackward(Arrays.copyOf(stream, B * T), targets, B, T);
            double torchLoss = results.get(i).get("loss").asDouble();
            String what = TinyModels.describe(gpt.config()) + ", batch " + B;
            assertThat((double) loss).as("loss of %s", what).isCloseTo(torchLoss, org.assertj.core.data.Offset.offset(1e-4 * Math.abs(torchLoss)));
            Map<String, Tensor> theirs = Safetensors.read(dir.resolve("m" + i).resolve("grads.safetensors"));
            assertThat(gpt.gradients().keySet()).containsExactlyInAnyOrderElementsOf(theirs.keySet());
            for (String name : theirs.keySet()) {
                assertThat(TorchComparisonTest.relativeError(gpt.gradients().get(name), theirs.get(name)))
                        .as("gradient of %s in %s", name, what).isLessThanOrEqualTo(1e-4);
            }
        }
    }

    @Test
    void postLnIsRefused() {
        Gpt gpt = TinyModels.randomModel(TinyModels.config(GptConfig.Positional.LEARNED, GptConfig.Norm.POST,
                GptConfig.Mlp.GELU, true, 1), 1);
        assertThatThrownBy(() -> new LastPositionLoss(gpt)).hasMessageContaining("post-LN");
    }
}
