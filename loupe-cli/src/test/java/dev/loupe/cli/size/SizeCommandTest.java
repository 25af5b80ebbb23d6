package dev.loupe.cli.size;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.loupe.cli.MainTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class SizeCommandTest {

    @Test
    void jsonHasTheExactTotalAtTopLevel() throws Exception {
        var r = MainTest.run("size", "--preset", "gpt2-xl", "--json", "--flops-per-second", "1e11");
        assertThat(r.code()).isZero();
        JsonNode root = new ObjectMapper().readTree(r.out());
        assertThat(root.get("params_total").asLong()).isEqualTo(1_557_611_200L);
        assertThat(root.at("/training/seconds").asDouble()).isPositive();
        assertThat(root.get("context")).hasSize(8);
    }

    @Test
    void seedExamplePrintsAbout2point5B() {
        var r = MainTest.run("size", "--vocab", "50000", "--d-model", "2048", "--layers", "48", "--heads", "16");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("(2.52B)").contains("Chinchilla").contains("128k");
    }

    @Test
    void forParamsSuggestsShapes() {
        var r = MainTest.run("size", "--for-params", "2.5e9");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("d_model").contains("layers");
    }

    @Test
    void writesThePicture(@TempDir Path dir) throws Exception {
        Path png = dir.resolve("ctx.png");
        var r = MainTest.run("size", "--preset", "gpt2", "--plot", png.toString());
        assertThat(r.code()).isZero();
        assertThat(Files.size(png)).isGreaterThan(1000);
    }

    @Test
    void readsTheShapeOfAModelDirectory(@TempDir Path dir) throws Exception {
        var config = dev.loupe.model.GptConfig.gpt2(50257, 1024, 768, 12, 12);
        Files.writeString(dir.resolve("config.json"), dev.loupe.model.io.ConfigJson.format(config));
        var r = MainTest.run("size", "--model", dir.toString(), "--json");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(new ObjectMapper().readTree(r.out()).get("params_total").asLong()).isEqualTo(124_439_808L);
    }

    @Test
    void aTinyModelGetsTheContextsItCanRunAndNoLargeModelAdvice(@TempDir Path dir) throws Exception {
        var config = dev.loupe.model.GptConfig.gpt2(32, 24, 64, 2, 2);
        Files.writeString(dir.resolve("config.json"), dev.loupe.model.io.ConfigJson.format(config));
        var r = MainTest.run("size", "--model", dir.toString());
        assertThat(r.code()).as(r.err()).isZero();
        String table = r.out().substring(r.out().indexOf("Context length"), r.out().indexOf("Memory"));
        assertThat(table.lines().skip(2).filter(l -> !l.isBlank()).map(l -> l.trim().split(" +")[0]).toList()).containsExactly("1", "2", "4", "8", "16", "24");
        assertThat(r.out()).doesNotContain("padding the embedding").doesNotContain("the usual range is 64–128").contains("a toy-sized model");
        var json = new ObjectMapper().readTree(MainTest.run("size", "--model", dir.toString(), "--json").out());
        assertThat(json.get("context").get(json.get("context").size() - 1).get("tokens").asLong()).isEqualTo(24);
        assertThat(json.get("advice").get("remarks")).isEmpty();
    }

    @Test
    void missingModelDirectoryIsOneClearLine(@TempDir Path dir) {
        var r = MainTest.run("size", "--model", dir.resolve("nope").toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err().strip().lines().count()).isEqualTo(1);
    }

    @Test
    void usesTheRateSavedByBenchKernels(@TempDir Path cache) throws Exception {
        Files.writeString(cache.resolve("bench-kernels.json"), """
                {"backends":[{"backend":"java","matmul":[{"m":1024,"k":768,"n":768,"gflops":50.0},
                  {"m":1024,"k":768,"n":3072,"gflops":100.0},{"m":1,"k":768,"n":3072,"gflops":5.0}]}]}""");
        System.setProperty("loupe.cache", cache.toString());
        try {
            var r = MainTest.run("size", "--preset", "gpt2", "--json");
            JsonNode root = new ObjectMapper().readTree(r.out());
            assertThat(root.at("/training/flops_per_second").asDouble()).isEqualTo(50e9);
            assertThat(root.at("/training/rate_source").asText()).isEqualTo("java");
        } finally {
            System.clearProperty("loupe.cache");
        }
    }

    @Test
    void incompleteShapeIsBadUsage() {
        var r = MainTest.run("size", "--vocab", "100");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--d-model").doesNotContain("\tat ");
    }

    @Test
    void unknownPresetIsOneClearLine() {
        var r = MainTest.run("size", "--preset", "gpt5");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err().strip().lines().count()).isEqualTo(1);
        assertThat(r.err()).contains("unknown preset");
    }
}
