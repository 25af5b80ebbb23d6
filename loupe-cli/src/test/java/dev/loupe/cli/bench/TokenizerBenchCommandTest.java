package dev.loupe.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.loupe.cli.MainTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class TokenizerBenchCommandTest {
    @Test
    void measuresBothEncodersOnTheSameTextAndComparesIds(@TempDir Path dir) throws Exception {
        Path text = dir.resolve("t.txt");
        Files.writeString(text, "First Citizen:\nBefore we proceed any further, hear me speak. 🙂 naïve  \t 1234\n".repeat(50));
        var r = MainTest.run("bench", "tokenizer", "--file", text.toString(), "--rounds", "1", "--json");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode o = new ObjectMapper().readTree(r.out());
        assertThat(o.get("identical_ids").asBoolean()).isTrue();
        assertThat(o.get("bytes").asLong()).isEqualTo(Files.size(text));
        assertThat(o.get("tokens").asInt()).isPositive();
        assertThat(o.get("loupe_mb_per_s").asDouble()).isPositive();
        assertThat(o.get("jtokkit_mb_per_s").asDouble()).isPositive();
        assertThat(o.get("ratio").asDouble()).isCloseTo(o.get("loupe_mb_per_s").asDouble() / o.get("jtokkit_mb_per_s").asDouble(),
                org.assertj.core.data.Percentage.withPercentage(2));

        var plain = MainTest.run("bench", "tokenizer", "--file", text.toString(), "--rounds", "1");
        assertThat(plain.code()).as(plain.err()).isZero();
        assertThat(plain.out()).contains("loupe").contains("jtokkit").contains("ratio").contains("identical");
    }

    @Test
    void missingFileIsOneLine(@TempDir Path dir) {
        var r = MainTest.run("bench", "tokenizer", "--file", dir.resolve("nope.txt").toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err().strip().lines().count()).isEqualTo(1);
        assertThat(r.err()).contains("nope.txt");
        assertThat(MainTest.run("bench", "tokenizer", "--rounds", "0").code()).isEqualTo(2);
    }
}
