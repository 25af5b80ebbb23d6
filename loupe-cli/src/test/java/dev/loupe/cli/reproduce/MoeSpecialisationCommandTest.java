package dev.loupe.cli.reproduce;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.loupe.cli.MainTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code loupe reproduce moe-specialisation} end to end on a short run: progress lines, the report files and three models. */
class MoeSpecialisationCommandTest {
    @TempDir
    Path tmp;

    @Test
    void shortRunWritesTheReportAndTheThreeModels() throws Exception {
        Path out = tmp.resolve("moe");
        MainTest.Result r = MainTest.run("reproduce", "moe-specialisation", "--out", out.toString(), "--steps", "20", "--chars", "20000",
                "--experts", "3", "--top-k", "2");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).contains("reproduce moe-specialisation: training the MoE without aux loss (3 experts, top-2, α 0.0)",
                "training the dense model (d_mlp 64)", "step 20/20", "windows routed");
        JsonNode j = new ObjectMapper().readTree(out.resolve("report.json").toFile());
        assertThat(j.get("experts").asInt()).isEqualTo(3);
        assertThat(j.get("runs").get(0).get("layers").get(0).get("counts")).hasSize(3);
        assertThat(r.out()).contains("## What matched the paper", "report.html");
        assertThat(Files.readString(out.resolve("report.html"))).contains("<svg");
        for (String dir : new String[] {"without-aux", "with-aux", "dense"}) assertThat(out.resolve(dir).resolve("config.json")).exists();
    }

    @Test
    void badSettingsAreUsageErrors() {
        MainTest.Result r = MainTest.run("reproduce", "moe-specialisation", "--experts", "4", "--top-k", "5", "--out", tmp.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("top-k must be between 1 and experts (4), got 5").doesNotContain("Exception");
        assertThat(MainTest.run("reproduce", "moe-specialisation", "--steps", "5", "--out", tmp.toString()).code()).isEqualTo(2);
    }
}
