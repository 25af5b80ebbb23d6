package dev.loupe.cli.moe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.loupe.cli.MainTest;
import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.model.MoeSettings;
import dev.loupe.model.io.ModelDirectory;
import dev.loupe.tokens.CharTokenizer;
import dev.loupe.tokens.Tokenizers;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code loupe moe} on a tiny MoE model (3 layers, MoE in layers 0 and 2, 4 experts, top-2): files, numbers, progress, errors. */
class MoeCommandTest {
    @TempDir
    Path tmp;
    Path moe, dense;
    final CharTokenizer tok = CharTokenizer.fromCorpus("abcdefgh .<>\n");

    @BeforeEach
    void models() {
        GptConfig c = new GptConfig(tok.vocabSize(), 16, 16, 3, 2, 32, 1e-5f, true, GptConfig.Norm.PRE, GptConfig.Mlp.GELU,
                GptConfig.Positional.LEARNED);
        moe = write("moe", c.withMoe(new MoeSettings(4, 2, 8, MoeSettings.Router.SOFTMAX_TOPK, 0.01f, 0.001f, null, java.util.List.of(0, 2))));
        dense = write("dense", c);
    }

    private Path write(String name, GptConfig c) {
        Path dir = tmp.resolve(name);
        ModelDirectory.write(dir, c, Gpt.create(c, 4).parameters());
        Tokenizers.save(tok, dir);
        return dir;
    }

    @Test
    void aTextGivesTheReportOfEveryMoeLayer() throws Exception {
        Path out = tmp.resolve("out");
        MainTest.Result r = MainTest.run("moe", "--model", moe.toString(), "--text", "abc <def>", "--out", out.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("4 experts, top-2; routed 9 tokens of the text", "layer 0: entropy", "layer 2: entropy", "moe.html");
        JsonNode j = new ObjectMapper().readTree(out.resolve("moe.json").toFile());
        assertThat(j.get("layers")).hasSize(2);
        assertThat(j.get("layers").get(1).get("layer").asInt()).isEqualTo(2);
        assertThat(j.get("prompt_tokens").get(4).asText()).isEqualTo("<");
        long slots = 0;
        for (JsonNode n : j.get("layers").get(0).get("counts")) slots += n.asLong();
        assertThat(slots).isEqualTo(9 * 2);
        assertThat(j.get("layers").get(0).get("prompt_routing")).hasSize(9);
        assertThat(j.get("co_activation").get(0).get("to").asInt()).isEqualTo(2);
        String html = Files.readString(out.resolve("moe.html"));
        assertThat(html).contains("R over the prompt", "RᵀR (layer 2)", "&lt;").doesNotContain("<def>");
        assertThat(r.err()).doesNotContain("windows routed");                  // one window: no progress lines
    }

    @Test
    void aCorpusRunsInWindowsWithProgress() throws Exception {
        Path data = tmp.resolve("corpus.txt"), out = tmp.resolve("c");
        Files.writeString(data, "abc defgh. ".repeat(30));
        MainTest.Result r = MainTest.run("moe", "--model", moe.toString(), "--data", data.toString(), "--tokens", "100", "--seq", "8",
                "--out", out.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).contains("moe: routing 100 tokens of", "in 13 windows of 8", "step 13/13 (100%)  windows routed");
        JsonNode j = new ObjectMapper().readTree(out.resolve("moe.json").toFile());
        assertThat(j.get("layers").get(0).get("tokens").asLong()).isEqualTo(100);
        assertThat(j.get("prompt_tokens")).hasSize(8);
    }

    @Test
    void aDenseModelAndBadFlagsAreOneClearLine() {
        MainTest.Result r = MainTest.run("moe", "--model", dense.toString(), "--text", "abc", "--out", tmp.resolve("x").toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("no mixture-of-experts layer").doesNotContain("Exception").hasLineCount(1);
        assertThat(tmp.resolve("x")).doesNotExist();
        MainTest.Result both = MainTest.run("moe", "--model", moe.toString(), "--text", "a", "--data", "f.txt", "--out", tmp.toString());
        assertThat(both.code()).isEqualTo(2);
        MainTest.Result seq = MainTest.run("moe", "--model", moe.toString(), "--text", "a", "--seq", "99", "--out", tmp.resolve("y").toString());
        assertThat(seq.code()).isEqualTo(2);
        assertThat(seq.err()).contains("--seq must be in 1..16");
    }
}
