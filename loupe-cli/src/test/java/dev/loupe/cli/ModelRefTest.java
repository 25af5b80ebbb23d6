package dev.loupe.cli;

import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.model.io.ModelDirectory;
import dev.loupe.tokens.CharTokenizer;
import dev.loupe.tokens.Tokenizers;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code --model NAME} resolves through the hub cache in every command that takes a model. */
class ModelRefTest {
    @TempDir
    Path tmp;

    @BeforeEach
    void fakeCaches() {
        System.setProperty("loupe.cache", tmp.resolve("loupe").toString());
        System.setProperty("loupe.hf-hub-cache", tmp.resolve("hf").toString()); // empty: the real HF cache must not answer
    }

    @AfterEach
    void clear() {
        System.clearProperty("loupe.cache");
        System.clearProperty("loupe.hf-hub-cache");
    }

    /** A tiny model in the cache layout {@code loupe fetch gpt2} produces: $LOUPE_CACHE/hub/gpt2/. */
    private Path fetchFakeGpt2() {
        CharTokenizer tok = CharTokenizer.fromCorpus("hello world\n");
        GptConfig c = new GptConfig(tok.vocabSize(), 16, 8, 1, 2, 32, 1e-5f, true,
                GptConfig.Norm.PRE, GptConfig.Mlp.GELU, GptConfig.Positional.LEARNED);
        Path dir = tmp.resolve("loupe/hub/gpt2");
        ModelDirectory.write(dir, c, Gpt.create(c, 1).parameters());
        Tokenizers.save(tok, dir);
        return dir;
    }

    @Test
    void unfetchedNameIsOneLineNamingLoupeFetch() {
        for (String[] cmd : new String[][] {
                {"logits", "--model", "gpt2", "--ids", "1"},
                {"generate", "--model", "gpt2", "--prompt", "hi"},
                {"eval", "--model", "gpt2", "--data", "x.txt"},
                {"size", "--model", "gpt2"},
                {"train", "--init", "gpt2", "--data", "x.txt", "--out", tmp.resolve("o").toString()}}) {
            var r = MainTest.run(cmd);
            assertThat(r.code()).as(cmd[0]).isEqualTo(1);
            assertThat(r.err().strip()).as(cmd[0])
                    .isEqualTo("loupe: model 'gpt2' is not a directory and not in the cache; run 'loupe fetch gpt2'");
        }
    }

    /** A missing path (its folder exists, or it is no hub name) says how to make it, never 'loupe fetch PATH'. */
    @Test
    void missingDirectoryIsNotSentToFetch() throws Exception {
        Files.createDirectories(tmp.resolve("runs"));
        for (String missing : new String[] {tmp.resolve("runs/shakespeare").toString(), tmp.resolve("a/b/c").toString()}) {
            var r = MainTest.run("circuits", "--model", missing);
            assertThat(r.code()).isEqualTo(1);
            assertThat(r.err()).contains("no model directory at '" + missing + "'", "loupe quickstart").doesNotContain("loupe fetch");
        }
    }

    @Test
    void fetchedNameWorksInEveryModelCommand() throws Exception {
        Path cached = fetchFakeGpt2();
        Path text = tmp.resolve("t.txt");
        Files.writeString(text, "hello world\n".repeat(30));

        var logitsByName = MainTest.run("logits", "--model", "gpt2", "--text", "hello", "--top", "2");
        var logitsByDir = MainTest.run("logits", "--model", cached.toString(), "--text", "hello", "--top", "2");
        assertThat(logitsByName.code()).as(logitsByName.err()).isZero();
        assertThat(logitsByName.out()).isEqualTo(logitsByDir.out()).contains("→");

        var gen = MainTest.run("generate", "--model", "gpt2", "--prompt", "he", "--max-tokens", "3");
        assertThat(gen.code()).as(gen.err()).isZero();
        var eval = MainTest.run("eval", "--model", "gpt2", "--data", text.toString(), "--seq", "8", "--json");
        assertThat(eval.code()).as(eval.err()).isZero();
        assertThat(eval.out()).contains("\"loss\"");
        var size = MainTest.run("size", "--model", "gpt2", "--json");
        assertThat(size.code()).as(size.err()).isZero();
        var tok = MainTest.run("tokenize", "--model", "gpt2", "--text", "hello");
        assertThat(tok.code()).as(tok.err()).isZero();

        Path out = tmp.resolve("ft");
        var train = MainTest.run("train", "--init", "gpt2", "--data", text.toString(), "--out", out.toString(),
                "--steps", "1", "--batch", "1", "--seq", "8", "--eval-every", "0");
        assertThat(train.code()).as(train.err()).isZero();
        assertThat(ModelDirectory.readConfig(out)).isEqualTo(ModelDirectory.readConfig(cached));
    }
}
