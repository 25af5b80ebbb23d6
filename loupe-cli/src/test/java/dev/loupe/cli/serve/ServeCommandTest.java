package dev.loupe.cli.serve;

import dev.loupe.cli.MainTest;
import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.tokens.CharTokenizer;
import dev.loupe.web.ExplorerModel;
import dev.loupe.web.ExplorerServer;
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

    @Test
    void weightsBf16IsOfferedAndSaysTheViewsDescribeTheBf16Model(@TempDir Path tmp) {
        MainTest.Result help = MainTest.run("serve", "--help");
        assertThat(help.out().replaceAll("\\s+", " ")).contains("--weights").contains("bfloat16").contains("rounded values");
        Path dir = tmp.resolve("m");
        CharTokenizer tok = CharTokenizer.fromCorpus("abc ");
        GptConfig c = GptConfig.gpt2(tok.vocabSize(), 8, 8, 1, 2);
        dev.loupe.model.io.ModelDirectory.write(dir, c, Gpt.create(c, 1).parameters());
        dev.loupe.tokens.Tokenizers.save(tok, dir);
        MainTest.Result bad = MainTest.run("serve", "--model", dir.toString(), "--port", "0", "--weights", "int4");
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err()).contains("--weights").contains("f32 or bf16").doesNotContain("at dev.");
    }

    /** Issue 20: --host 0.0.0.0 printed a 127.0.0.1 URL and no warning. */
    @Test
    void listeningBeyondThisMachineIsAnnouncedLoudly() {
        CharTokenizer tok = CharTokenizer.fromCorpus("abc ");
        GptConfig c = GptConfig.gpt2(tok.vocabSize(), 8, 8, 1, 2);
        ExplorerModel m = new ExplorerModel(Gpt.create(c, 1), tok, "tiny");
        try (ExplorerServer all = ExplorerServer.start(m, "0.0.0.0", 0, 8)) {
            assertThat(String.join("\n", ServeCommand.exposureWarning(all)))
                    .contains("WARNING").contains("0.0.0.0:" + all.port()).contains("without any authentication");
        }
        try (ExplorerServer local = ExplorerServer.start(m, "127.0.0.1", 0, 8)) {
            assertThat(ServeCommand.exposureWarning(local)).isEmpty();
        }
        assertThat(MainTest.run("serve", "--help").out()).contains("--allow-host").contains("DNS rebinding");
    }
}
