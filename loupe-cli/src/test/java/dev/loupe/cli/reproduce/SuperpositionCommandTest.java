package dev.loupe.cli.reproduce;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.loupe.cli.MainTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code loupe reproduce superposition} end to end on a short run: progress lines, report files, every model listed. */
class SuperpositionCommandTest {
    @TempDir
    Path tmp;

    @Test
    void shortRunWritesTheReportAndEveryModel() throws Exception {
        Path out = tmp.resolve("sp");
        MainTest.Result r = MainTest.run("reproduce", "superposition", "--out", out.toString(), "--steps", "100", "--batch", "128",
                "--uniform-features", "12", "--uniform-hidden", "3", "--uniform-points", "3");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).contains("reproduce superposition: training 31 toy models", "step 31/31", "ETA");
        JsonNode j = new ObjectMapper().readTree(out.resolve("report.json").toFile());
        assertThat(j.get("models")).hasSize(2 * 2 * 7 + 3);
        assertThat(j.get("steps").asInt()).isEqualTo(100);
        JsonNode m = j.get("models").get(0);
        assertThat(m.get("n").asInt()).isEqualTo(20);
        assertThat(m.get("m").asInt()).isEqualTo(5);
        assertThat(m.get("importance_decay").asDouble()).isEqualTo(0.7);
        assertThat(out.resolve(m.get("w_path").asText())).exists();
        assertThat(out.resolve(m.get("b_path").asText())).exists();
        assertThat(out.resolve("feature_dimensionality.png")).exists();
        assertThat(out.resolve("weights_n80_m20_decay0.9.png")).exists();
        assertThat(Files.readString(out.resolve("report.html"))).contains("<img", "Every model");
        assertThat(r.out()).contains("Trained 31 toy models", "superposition");
    }

    @Test
    void badSettingsAreUsageErrors() {
        MainTest.Result r = MainTest.run("reproduce", "superposition", "--steps", "0", "--out", tmp.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("steps must be").doesNotContain("Exception");
        assertThat(MainTest.run("reproduce", "superposition", "--uniform-features", "4", "--uniform-hidden", "8",
                "--out", tmp.toString()).code()).isEqualTo(2);
    }
}
