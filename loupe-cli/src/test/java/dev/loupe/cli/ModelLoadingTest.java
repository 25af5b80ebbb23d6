package dev.loupe.cli;

import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.model.io.LlmcCheckpoint;
import dev.loupe.model.io.ModelDirectory;
import dev.loupe.tensor.Tensor;
import dev.loupe.tokens.CharTokenizer;
import dev.loupe.tokens.Tokenizers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Issue 20: what the model commands say about files that are not model directories, and about NaN weights. */
class ModelLoadingTest {
    @TempDir
    Path tmp;

    static final CharTokenizer TOK = CharTokenizer.fromCorpus("hello world\n");
    static final GptConfig CONFIG = GptConfig.gpt2(TOK.vocabSize(), 16, 8, 1, 2);

    Path model(String name, Map<String, Tensor> weights) {
        Path dir = tmp.resolve(name);
        ModelDirectory.write(dir, CONFIG, weights);
        Tokenizers.save(TOK, dir);
        return dir;
    }

    @Test
    void llmcCheckpointAsModelOrInitNamesTheConvertCommand() throws IOException {
        Path bin = tmp.resolve("gpt2_124M.bin");
        LlmcCheckpoint.write(bin, CONFIG, Gpt.create(CONFIG, 1).parameters());
        Path data = Files.writeString(tmp.resolve("data.txt"), "hello world\n".repeat(50));
        for (String[] cmd : new String[][] {
                {"logits", "--model", bin.toString(), "--ids", "1"},
                {"generate", "--model", bin.toString(), "--prompt", "he"},
                {"circuits", "--model", bin.toString()},
                {"train", "--init", bin.toString(), "--data", data.toString(), "--out", tmp.resolve("o").toString(), "--steps", "1"}}) {
            var r = MainTest.run(cmd);
            assertThat(r.code()).as(cmd[0]).isEqualTo(1);
            assertThat(r.err()).as(cmd[0]).contains("is an llm.c checkpoint")
                    .contains("loupe convert --from " + bin + " --to DIR").doesNotContain("Exception");
        }
    }

    @Test
    void configFileAsModelNamesItsDirectory() {
        Path dir = model("m", Gpt.create(CONFIG, 1).parameters());
        var r = MainTest.run("logits", "--model", dir.resolve("config.json").toString(), "--ids", "1");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("pass the directory that holds it, " + dir);
    }

    @Test
    void nanWeightsAreRefusedUnlessAllowed() {
        Map<String, Tensor> w = new LinkedHashMap<>(Gpt.create(CONFIG, 1).parameters());
        w.get("h.0.attn.c_attn.weight").set(Float.NaN, 2, 3);
        Path dir = model("nan", w);
        var r = MainTest.run("logits", "--model", dir.toString(), "--ids", "1");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("'h.0.attn.c_attn.weight' holds NaN at [2, 3]").contains("--allow-nonfinite");
        var allowed = MainTest.run("logits", "--model", dir.toString(), "--ids", "1", "--allow-nonfinite");
        assertThat(allowed.code()).as(allowed.err()).isEqualTo(0);
        var text = MainTest.run("lens", "--model", dir.toString(), "--text", "hello", "--allow-nonfinite");
        assertThat(text.code()).as(text.err()).isEqualTo(0);
        assertThat(MainTest.run("serve", "--help").out()).contains("--allow-nonfinite");
        Path data = tmp.resolve("data.txt");
        try {
            Files.writeString(data, "hello world\n".repeat(40));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        var eval = MainTest.run("eval", "--model", dir.toString(), "--data", data.toString(), "--seq", "8");
        assertThat(eval.code()).isEqualTo(1);
        assertThat(eval.err()).contains("holds NaN").contains("--allow-nonfinite");
        var evalAllowed = MainTest.run("eval", "--model", dir.toString(), "--data", data.toString(), "--seq", "8", "--allow-nonfinite");
        assertThat(evalAllowed.code()).as(evalAllowed.err()).isEqualTo(0);
        var init = MainTest.run("train", "--init", dir.toString(), "--data", data.toString(), "--out", tmp.resolve("o").toString(),
                "--steps", "1", "--seq", "8", "--batch", "1");
        assertThat(init.code()).isEqualTo(1);
        assertThat(init.err()).contains("holds NaN").contains("--allow-nonfinite");
        assertThat(MainTest.run("train", "--help").out()).contains("--allow-nonfinite");
    }
}
