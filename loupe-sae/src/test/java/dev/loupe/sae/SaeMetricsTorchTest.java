package dev.loupe.sae;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.model.io.ModelDirectory;
import dev.loupe.tensor.Tensor;
import dev.loupe.tensor.io.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Every metric of {@link SaeMetrics} recomputed by {@code reference/torch_sae.py metrics} from the
 * saved SAELens files and the model directory: PyTorch runs its own GPT with the SAE spliced in at
 * the hook (and with zero ablation) and computes each formula independently, for a residual, an MLP
 * and an attention (hook_z) SAE.
 *
 * <p>Tolerance 1e-4 relative (+1e-6 absolute): the forward passes agree to ~1e-6 in float32 and both
 * sides reduce in double; mixing up the T−1 vs T averaging, KL's direction or the variance's mean
 * shifts the numbers by ≥ 1e-2.
 */
class SaeMetricsTorchTest {
    @TempDir Path tmp;

    @Test
    void metricsEqualAnIndependentPyTorchEvaluation() throws Exception {
        TorchSae.assumeAvailable();
        GptConfig c = GptConfig.gpt2(37, 16, 16, 2, 2);
        Gpt model = Gpt.create(c, 3);
        Path modelDir = tmp.resolve("model");
        ModelDirectory.write(modelDir, c, model.parameters());
        int windows = 5, t = 9;
        int[] ids = new int[windows * t + 4];
        SplittableRandom r = new SplittableRandom(8);
        for (int i = 0; i < ids.length; i++) ids[i] = r.nextInt(37);
        float[] idsF = new float[windows * t];
        for (int i = 0; i < idsF.length; i++) idsF[i] = ids[i];
        Npy.write(tmp.resolve("ids.npy"), Tensor.of(idsF, idsF.length));

        List<String> hooks = List.of("blocks.1.hook_resid_pre", "blocks.0.mlp.hook_post", "blocks.1.attn.hook_z");
        List<SaeMetrics.Result> ours = new ArrayList<>();
        List<List<String>> jobs = new ArrayList<>();
        for (int i = 0; i < hooks.size(); i++) {
            SaeHookPoint hp = SaeHookPoint.resolve(c, hooks.get(i));
            Architecture arch = i == 1 ? Architecture.TOPK : Architecture.STANDARD;
            SparseAutoencoder sae = SaeFixtures.random(arch, hp.width(), 48, 6, 10 + i).withMetadata(SaeMetadata.of("tiny", hp.name()));
            Path dir = tmp.resolve("sae" + i);
            SaeFiles.save(sae, dir, null);
            ours.add(SaeMetrics.evaluate(model, SaeFiles.load(dir), ids, windows, t, 2, null));
            jobs.add(List.of("metrics", "--sae", dir.toString(), "--model", modelDir.toString(), "--ids",
                    tmp.resolve("ids.npy").toString(), "--windows", "" + windows, "--context", "" + t));
        }
        List<JsonNode> torch = TorchSae.jobs(jobs, tmp);
        for (int i = 0; i < hooks.size(); i++) {
            JsonNode want = torch.get(i);
            JsonNode got = ours.get(i).toJson();
            for (String key : List.of("l0", "mse", "explained_variance", "ce_loss_clean", "ce_loss_with_sae",
                    "ce_loss_with_ablation", "ce_loss_score", "kl_div_with_sae", "kl_div_with_ablation", "kl_div_score")) {
                double w = want.get(key).asDouble();
                assertThat(got.get(key).asDouble()).as(hooks.get(i) + " " + key).isCloseTo(w, within(1e-4 * Math.abs(w) + 1e-6));
            }
            assertThat(got.get("dead_features").asInt()).as(hooks.get(i) + " dead").isEqualTo(want.get("dead_features").asInt());
            for (int j = 0; j < 48; j++) {
                assertThat(got.get("feature_density").get(j).asDouble()).isCloseTo(want.get("feature_density").get(j).asDouble(), within(1e-6));
            }
            assertThat(got.get("kl_div_with_sae").asDouble()).as("the SAE changes the output").isGreaterThan(0);
        }
    }
}
