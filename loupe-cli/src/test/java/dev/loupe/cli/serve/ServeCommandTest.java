package dev.loupe.cli.serve;

import dev.loupe.cli.MainTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class ServeCommandTest {
    @Test
    void helpTeaches() {
        MainTest.Result r = MainTest.run("serve", "--help");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("--model").contains("--port").contains("127.0.0.1").contains("loupe serve --model gpt2");
    }

    @Test
    void aBadModelDirectoryFailsAtStartWithOneLine(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("broken");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), "{\"n_layer\": 2}");
        MainTest.Result r = MainTest.run("serve", "--model", dir.toString(), "--port", "0");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err().strip()).doesNotContain("\n").contains("broken");
        assertThat(r.out()).doesNotContain("http://");
    }

    @Test
    void badOptionsAreUsageErrors() {
        assertThat(MainTest.run("serve", "--model", "x", "--port", "70000").code()).isEqualTo(2);
        assertThat(MainTest.run("serve", "--model", "x", "--max-tokens", "0").code()).isEqualTo(2);
    }
}
