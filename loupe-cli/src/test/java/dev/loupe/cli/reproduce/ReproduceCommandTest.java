package dev.loupe.cli.reproduce;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.loupe.cli.MainTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The reproductions run end to end (short runs) and say what matched, with their numbers. */
class ReproduceCommandTest {
    @TempDir
    Path tmp;

    @Test
    void bigramModelMatchesTheCountedBigrams() throws Exception {
        Path out = tmp.resolve("bigram");
        MainTest.Result r = MainTest.run("reproduce", "bigram", "--out", out.toString(), "--steps", "400");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(Files.readString(out.resolve("report.json")));
        assertThat(j.get("kl_model").asDouble()).isLessThan(0.1 * j.get("kl_unigram").asDouble());
        assertThat(j.get("findings").get(0).get("matched").asBoolean()).isTrue();
        assertThat(Files.readString(out.resolve("report.md"))).contains("MATCHED", "| model output |");
        assertThat(out.resolve("model/config.json")).exists();
    }

    @Test
    void oneLayerHeadsCopy() throws Exception {
        Path out = tmp.resolve("skip");
        MainTest.Result r = MainTest.run("reproduce", "skip-trigrams", "--out", out.toString(), "--steps", "150");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(Files.readString(out.resolve("report.json")));
        assertThat(j.get("heads")).hasSize(4);
        assertThat(j.get("positive_heads").asInt()).isGreaterThanOrEqualTo(3);
        assertThat(j.get("skip_trigrams")).hasSize(10);
        assertThat(j.get("findings").get(0).get("matched").asBoolean()).isTrue();
        assertThat(r.out()).contains("most heads copy");
    }

    @Test
    void badStepsAreAUsageError() {
        assertThat(MainTest.run("reproduce", "bigram", "--steps", "3", "--out", tmp.toString()).code()).isEqualTo(2);
    }
}
