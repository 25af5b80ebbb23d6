package dev.loupe.cli.reproduce;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.loupe.cli.MainTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code loupe reproduce grokking} and {@code loupe bench grokking}: flags reach the library, reports land, mistakes are one line. */
class GrokkingReproductionTest {
    @TempDir
    Path tmp;

    @Test
    void aShortRunWritesTheReportAndTheModel() throws Exception {
        Path out = tmp.resolve("grok");
        MainTest.Result r = MainTest.run("reproduce", "grokking", "--p", "11", "--steps", "60", "--checkpoint-every", "20",
                "--train-fraction", "0.5", "--seed", "2", "--out", out.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).contains("reproduce grokking: step 60/60 (100%)");
        assertThat(r.out()).contains("key frequencies", "memorisation step", "wrote " + out.resolve("report.html"));
        JsonNode j = new ObjectMapper().readTree(Files.readString(out.resolve("report.json")));
        assertThat(j.get("p").asInt()).isEqualTo(11);
        assertThat(j.get("train_fraction").asDouble()).isEqualTo(0.5);
        assertThat(j.get("steps").asInt()).isEqualTo(60);
        assertThat(j.get("seed").asInt()).isEqualTo(2);
        assertThat(j.get("checkpoints")).hasSize(4);
        assertThat(out.resolve(j.get("model_dir").asText()).resolve("config.json")).content().contains("\"norm\" : \"none\"",
                "\"attn_bias\" : false");
        MainTest.Result logits = MainTest.run("logits", "--model", out.resolve("model").toString(), "--ids", "3,4,11", "--top", "2");
        assertThat(logits.code()).as(logits.err()).isZero();
    }

    @Test
    void badSettingsAreOneLineUsageErrors() {
        MainTest.Result r = MainTest.run("reproduce", "grokking", "--p", "12", "--out", tmp.resolve("x").toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err().lines().findFirst().orElse("")).contains("p must be an odd number");
        assertThat(r.err()).doesNotContain("Exception").doesNotContain("\tat ");
        assertThat(tmp.resolve("x")).doesNotExist();
        MainTest.Result f = MainTest.run("reproduce", "grokking", "--train-fraction", "1.5", "--out", tmp.resolve("y").toString());
        assertThat(f.code()).isEqualTo(2);
    }

    @Test
    void theBenchmarkTimesTheStep() {
        MainTest.Result r = MainTest.run("bench", "grokking", "--p", "11", "--warmup", "1", "--steps", "2", "--no-peer");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("loupe:", "ms/step");
    }
}
