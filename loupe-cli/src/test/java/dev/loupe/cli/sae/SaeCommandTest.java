package dev.loupe.cli.sae;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.loupe.cli.MainTest;
import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.model.io.ModelDirectory;
import dev.loupe.model.io.Safetensors;
import dev.loupe.sae.SaeFiles;
import dev.loupe.tensor.Tensor;
import dev.loupe.tokens.TokenFile;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code loupe sae train|eval} end to end on a tiny model: files, resume, metrics, and every bad input of issue 13. */
class SaeCommandTest {
    @TempDir Path tmp;
    Path model, data;

    @BeforeEach
    void tinyModelAndData() {
        GptConfig c = GptConfig.gpt2(40, 32, 16, 2, 2);
        model = tmp.resolve("model");
        ModelDirectory.write(model, c, Gpt.create(c, 1).parameters());
        int[] ids = new int[3000];
        SplittableRandom r = new SplittableRandom(2);
        for (int i = 0; i < ids.length; i++) ids[i] = r.nextInt(40);
        data = tmp.resolve("data.bin");
        TokenFile.write(data, ids, TokenFile.Format.LLMC);
    }

    List<String> train(Path out, String... extra) {
        List<String> args = new java.util.ArrayList<>(List.of("sae", "train", "--model", model.toString(), "--hook",
                "blocks.1.hook_resid_post", "--data", data.toString(), "--out", out.toString(), "--d-sae", "64",
                "--train-batch-size-tokens", "128", "--context-size", "16", "--n-batches-in-buffer", "4",
                "--training-tokens", "1280", "--lr", "3e-3", "--l1-coefficient", "1"));
        for (int i = 0; i + 1 < extra.length; i += 2) { // options given again replace the defaults above
            int at = args.indexOf(extra[i]);
            if (at >= 0) args.set(at + 1, extra[i + 1]);
            else args.addAll(List.of(extra[i], extra[i + 1]));
        }
        return args;
    }

    @Test
    void trainsResumesAndEvaluates() throws Exception {
        Path out = tmp.resolve("sae");
        MainTest.Result r = MainTest.run(train(out, "--checkpoint-every", "4").toArray(String[]::new));
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).contains("step 10/10 (100%)").contains("L0").contains("EV").contains("dead").contains("ETA");
        for (String f : List.of("cfg.json", "sae_weights.safetensors", "sparsity.safetensors", "training.png")) {
            assertThat(out.resolve(f)).exists();
        }
        assertThat(SaeFiles.load(out).config().metadata().hookName()).isEqualTo("blocks.1.hook_resid_post");

        MainTest.Result more = MainTest.run(train(out, "--training-tokens", "1920").toArray(String[]::new));
        assertThat(more.code()).as(more.err()).isZero();
        assertThat(more.err()).contains("resuming from").contains("step 15/15");
        MainTest.Result changed = MainTest.run(train(out, "--lr", "1e-2").toArray(String[]::new));
        assertThat(changed.code()).isEqualTo(2);
        assertThat(changed.err()).contains("--lr").contains("only --training-tokens and --checkpoint-every may change");

        Path evalOut = tmp.resolve("eval");
        MainTest.Result e = MainTest.run("sae", "eval", "--model", model.toString(), "--sae", out.toString(), "--data", data.toString(),
                "--batches", "6", "--context-size", "12", "--out", evalOut.toString());
        assertThat(e.code()).as(e.err()).isZero();
        assertThat(e.out()).contains("explained_variance").contains("ce_loss").contains("kl_div");
        JsonNode m = new ObjectMapper().readTree(Files.readString(evalOut.resolve("metrics.json")));
        for (String key : List.of("l0", "mse", "explained_variance", "ce_loss_clean", "ce_loss_with_sae", "ce_loss_with_ablation",
                "ce_loss_score", "kl_div_with_sae", "kl_div_with_ablation", "kl_div_score", "dead_features", "feature_density")) {
            assertThat(m.has(key)).as(key).isTrue();
        }
        assertThat(m.get("feature_density").size()).isEqualTo(64);
        assertThat(evalOut.resolve("feature_density.png")).exists();
    }

    @Test
    void badHookIsOneLineExitOneAndWritesNothing() {
        Path out = tmp.resolve("never");
        List<String> args = train(out);
        args.set(args.indexOf("blocks.1.hook_resid_post"), "blocks.5.hook_resid_post");
        MainTest.Result r = MainTest.run(args.toArray(String[]::new));
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err().strip().lines()).hasSize(1);
        assertThat(r.err()).contains("valid: blocks.{0..1}.{hook_resid_pre").doesNotContain("Exception");
        assertThat(out).doesNotExist();
    }

    @Test
    void badTrainingOptionsAreOneLineAndWriteNothing() {
        Path out = tmp.resolve("never");
        record Bad(int code, String message, String... args) {}
        for (Bad b : List.of(new Bad(1, "exceeds the model's context", "--context-size", "64"),
                new Bad(2, "--architecture must be standard or topk", "--architecture", "gated"),
                new Bad(1, "--k must be in 1..64", "--architecture", "topk", "--k", "65"),
                new Bad(1, "is less than one batch", "--training-tokens", "100"),
                new Bad(1, "--normalize-activations must be", "--normalize-activations", "layer_norm"))) {
            MainTest.Result r = MainTest.run(train(out, b.args()).toArray(String[]::new));
            assertThat(r.code()).as(r.err()).isEqualTo(b.code());
            assertThat(r.err()).contains(b.message()).doesNotContain("Exception").doesNotContain("\tat ");
            assertThat(out).doesNotExist();
        }
        List<String> both = train(out, "--expansion-factor", "2");
        MainTest.Result r = MainTest.run(both.toArray(String[]::new));
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("not both");
        assertThat(out).doesNotExist();
    }

    @Test
    void badSaeFilesAreOneLineExitOneAndWriteNothing() throws Exception {
        Path sae = tmp.resolve("sae");
        assertThat(MainTest.run(train(sae).toArray(String[]::new)).code()).isZero();
        Files.delete(sae.resolve("training.png"));
        String cfg = Files.readString(sae.resolve("cfg.json"));
        Map<String, Tensor> weights = new LinkedHashMap<>(Safetensors.read(sae.resolve("sae_weights.safetensors")));

        // cfg.json d_in that does not match the hook's width (and tensors of that width)
        Path wide = tmp.resolve("wide");
        Files.createDirectories(wide);
        Files.writeString(wide.resolve("cfg.json"), cfg.replace("\"d_in\" : 16", "\"d_in\" : 24"));
        Safetensors.write(wide.resolve("sae_weights.safetensors"), Map.of("W_enc", Tensor.zeros(24, 64), "b_enc", Tensor.zeros(64),
                "W_dec", Tensor.zeros(64, 24), "b_dec", Tensor.zeros(24)));
        expectFailure(wide, "d_in is 24");
        // cfg.json d_in that does not match the tensors
        Files.writeString(wide.resolve("cfg.json"), cfg.replace("\"d_in\" : 16", "\"d_in\" : 24"));
        Files.copy(sae.resolve("sae_weights.safetensors"), wide.resolve("sae_weights.safetensors"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        expectFailure(wide, "W_enc");
        // missing and misshaped tensors, NaN weights
        Path broken = tmp.resolve("broken");
        Files.createDirectories(broken);
        Files.writeString(broken.resolve("cfg.json"), cfg);
        Map<String, Tensor> w = new LinkedHashMap<>(weights);
        w.remove("b_enc");
        Safetensors.write(broken.resolve("sae_weights.safetensors"), w);
        expectFailure(broken, "'b_enc' is missing");
        w.put("b_enc", Tensor.zeros(63));
        Safetensors.write(broken.resolve("sae_weights.safetensors"), w);
        expectFailure(broken, "b_enc");
        Tensor nan = weights.get("W_dec").copy();
        nan.set(Float.NaN, 3, 4);
        w.put("b_enc", weights.get("b_enc"));
        w.put("W_dec", nan);
        Safetensors.write(broken.resolve("sae_weights.safetensors"), w);
        expectFailure(broken, "NaN");
        // an SAE for another model: its hook does not exist here
        Path other = tmp.resolve("other");
        Files.createDirectories(other);
        Files.writeString(other.resolve("cfg.json"), cfg.replace("blocks.1.hook_resid_post", "blocks.7.hook_resid_post"));
        Files.copy(sae.resolve("sae_weights.safetensors"), other.resolve("sae_weights.safetensors"));
        expectFailure(other, "another model");
        try (Stream<Path> s = Files.list(sae)) {
            assertThat(s.map(p -> p.getFileName().toString())).doesNotContain("metrics.json", "feature_density.png");
        }
    }

    private void expectFailure(Path sae, String message) throws Exception {
        MainTest.Result r = MainTest.run("sae", "eval", "--model", model.toString(), "--sae", sae.toString(), "--data", data.toString(),
                "--batches", "2", "--context-size", "8");
        assertThat(r.code()).as(r.err()).isEqualTo(1);
        assertThat(r.err().strip().lines()).as(r.err()).hasSize(1);
        assertThat(r.err()).contains(message).doesNotContain("Exception").doesNotContain("\tat ");
        assertThat(sae.resolve("metrics.json")).doesNotExist();
        assertThat(sae.resolve("feature_density.png")).doesNotExist();
    }
}
