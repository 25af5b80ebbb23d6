package dev.loupe.cli.tokens;

import dev.loupe.cli.Main;
import dev.loupe.tokens.CharTokenizer;
import dev.loupe.tokens.TokenFile;
import dev.loupe.tokens.Tokenizers;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class TokenizeCommandTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
    private PrintStream oldOut, oldErr;

    @BeforeEach
    void capture() {
        oldOut = System.out;
        oldErr = System.err;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restore() {
        System.setOut(oldOut);
        System.setErr(oldErr);
    }

    private String stdout() {
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void gpt2IdsAndBack() {
        assertThat(Main.run("tokenize", "--tokenizer", "gpt2", "--text", "Hello world")).isZero();
        assertThat(stdout()).isEqualTo("15496,995" + System.lineSeparator());
        out.reset();
        assertThat(Main.run("tokenize", "--tokenizer", "gpt2", "--text", " a\n", "--json")).isZero();
        assertThat(stdout().strip()).isEqualTo("{\"ids\":[257,198],\"tokens\":[\" a\",\"\\n\"]}");
        out.reset();
        assertThat(Main.run("tokenize", "--tokenizer", "gpt2", "--text", " a\n", "--show")).isZero();
        assertThat(stdout()).contains("257\t·a").contains("198\t↵");
        out.reset();
        assertThat(Main.run("detokenize", "--tokenizer", "gpt2", "--ids", "15496,995")).isZero();
        assertThat(stdout()).startsWith("Hello world");
    }

    @Test
    void charModelDirectoryAndTokenFiles(@TempDir Path dir) {
        Tokenizers.save(CharTokenizer.fromCorpus("abc \n"), dir);
        assertThat(Main.run("tokenize", "--model", dir.toString(), "--text", "cab a")).isZero();
        assertThat(stdout().strip()).isEqualTo("4,2,3,1,2");
        out.reset();
        Path bin = dir.resolve("val.bin");
        TokenFile.write(bin, new int[] {4, 2, 3, 0}, TokenFile.Format.LLMC);
        assertThat(Main.run("detokenize", "--model", dir.toString(), "--file", bin.toString())).isZero();
        assertThat(stdout()).isEqualTo("cab\n");
    }

    @Test
    void userErrorsAreOneLine(@TempDir Path dir) {
        Tokenizers.save(CharTokenizer.fromCorpus("abc"), dir);
        assertThat(Main.run("tokenize", "--model", dir.toString(), "--text", "abz")).isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("'z' (U+007A) at position 2");
        assertThat(Main.run("tokenize", "--text", "x")).isEqualTo(2);
        assertThat(Main.run("detokenize", "--tokenizer", dir.toString(), "--ids", "1,7")).isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("token id 7");
        assertThat(Main.run("fetch", "test-org/tiny", "--endpoint", "http://127.0.0.1:1")).isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("cannot reach http://127.0.0.1:1");
    }
}
