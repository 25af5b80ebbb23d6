package dev.loupe.cli.sae;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.loupe.cli.MainTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code loupe sae features}: the feature browser of an SAE over a text file. */
class SaeFeaturesCommandTest {
    @TempDir
    Path dir;

    @Test
    void writesThePageAndItsJsonForEveryFeature() throws Exception {
        SaeSpliceCommandsTest setup = new SaeSpliceCommandsTest();
        setup.dir = dir;
        Path model = setup.model();
        Path sae = setup.sae("sae", "blocks.0.mlp.hook_post", 32);
        Path data = dir.resolve("data.txt");
        Files.writeString(data, "abcabdxqabcaw".repeat(200));
        Path out = dir.resolve("out");
        MainTest.Result r = MainTest.run("sae", "features", "--model", model.toString(), "--sae", sae.toString(), "--data", data.toString(),
                "--out", out.toString(), "--tokens", "1024", "--context-size", "32");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(out.resolve("features.json").toFile());
        assertThat(j.path("units").asInt()).isEqualTo(128);
        assertThat(j.path("tokens").asInt()).isEqualTo(1024);
        assertThat(j.path("hook_name").asText()).isEqualTo("blocks.0.mlp.hook_post");
        assertThat(j.path("features")).hasSize(128);
        JsonNode some = null;
        for (JsonNode f : j.path("features")) if (f.path("density").asDouble() > 0) some = f;
        assertThat(some).isNotNull();
        assertThat(some.path("groups").get(0).path("examples").size()).isPositive();
        assertThat(some.path("logits_positive")).hasSize(10);
        assertThat(Files.readString(out.resolve("features.html"))).contains("<script type=\"application/json\" id=\"data\">");

        MainTest.Result bad = MainTest.run("sae", "features", "--model", model.toString(), "--sae", sae.toString(), "--data", data.toString(),
                "--out", dir.resolve("out2").toString(), "--features", "3,999");
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err()).contains("999");
        MainTest.Result missing = MainTest.run("sae", "features", "--model", model.toString(), "--sae", sae.toString(), "--data",
                dir.resolve("none.txt").toString(), "--out", dir.resolve("out3").toString());
        assertThat(missing.code()).isEqualTo(1);
        assertThat(missing.err()).contains("none.txt").doesNotContain("\tat ");
        assertThat(Files.exists(dir.resolve("out2"))).isFalse();
        assertThat(Files.exists(dir.resolve("out3"))).isFalse();

        // --weights bf16: the same dashboard of the bf16 model; its logit effects (through the bf16 W_out and
        // W_U) within bfloat16 rounding of float32's (a few 2^-8 of the largest effect)
        Path half = dir.resolve("out-bf16");
        MainTest.Result b = MainTest.run("sae", "features", "--model", model.toString(), "--sae", sae.toString(), "--data", data.toString(),
                "--out", half.toString(), "--tokens", "1024", "--context-size", "32", "--weights", "bf16");
        assertThat(b.code()).as(b.err()).isZero();
        JsonNode h = new ObjectMapper().readTree(half.resolve("features.json").toFile());
        assertThat(h.path("features")).hasSize(128);
        double largest = 0, moved = 0;
        for (int i = 0; i < 128; i++) {
            JsonNode f32 = j.path("features").get(i).path("logits_positive"), bf16 = h.path("features").get(i).path("logits_positive");
            if (f32.isEmpty() || bf16.isEmpty()) continue;
            largest = Math.max(largest, Math.abs(f32.get(0).path("effect").asDouble()));
            moved = Math.max(moved, Math.abs(f32.get(0).path("effect").asDouble() - bf16.get(0).path("effect").asDouble()));
        }
        assertThat(largest).isPositive();
        assertThat(moved).isPositive().isLessThan(largest / 16);
    }
}
