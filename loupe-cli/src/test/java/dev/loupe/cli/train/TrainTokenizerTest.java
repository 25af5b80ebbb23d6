package dev.loupe.cli.train;

import dev.loupe.cli.MainTest;
import dev.loupe.model.io.ModelDirectory;
import dev.loupe.tokens.TokenFile;
import dev.loupe.tokens.Tokenizer;
import dev.loupe.tokens.Tokenizers;
import dev.loupe.tokens.bpe.ByteLevelBpe;
import dev.loupe.tokens.bpe.Gpt2Vocabulary;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code train --tokenizer char|gpt2|bpe:N}: which tokenizer a new model gets, where it is saved, and reuse on resume. */
class TrainTokenizerTest {
    static final String[] TINY = {"--layers", "1", "--d-model", "16", "--heads", "2", "--seq", "16", "--batch", "2",
            "--schedule", "constant", "--warmup", "1", "--eval-every", "0", "--checkpoint-every", "0"};

    /** Seeded pseudo-words: enough distinct letter pairs (26² > 43 merges) for a 300-token BPE. */
    static String words(int n) {
        Random r = new Random(42);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            int len = 2 + r.nextInt(6);
            sb.append(' ');
            for (int j = 0; j < len; j++) sb.append((char) ('a' + (int) Math.floor(26 * Math.pow(r.nextDouble(), 2))));
            if (i % 12 == 11) sb.append(".\n");
        }
        return sb.toString();
    }

    static MainTest.Result train(String... more) {
        List<String> a = new ArrayList<>(List.of("train"));
        a.addAll(List.of(TINY));
        a.addAll(List.of(more));
        return MainTest.run(a.toArray(String[]::new));
    }

    static String csv(int[] ids) {
        return Arrays.stream(ids).mapToObj(Integer::toString).collect(Collectors.joining(","));
    }

    @Test
    void bpeIsLearnedOnTheTextSavedBesideTheModelAndReusedOnResume(@TempDir Path dir) throws Exception {
        String text = words(3000);
        Path data = dir.resolve("words.txt");
        Files.writeString(data, text);
        Path out = dir.resolve("bpe");

        var r = train("--data", data.toString(), "--out", out.toString(), "--steps", "2", "--tokenizer", "bpe:300");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).contains("learning a byte-level BPE of 300 tokens").contains("learned 300 tokens");
        assertThat(out.resolve("vocab.json")).isRegularFile();
        assertThat(out.resolve("merges.txt")).isRegularFile();
        assertThat(out.resolve(Tokenizers.TOKENIZER_JSON)).doesNotExist();
        Tokenizer saved = Tokenizers.require(out);
        assertThat(saved).isInstanceOf(ByteLevelBpe.class);
        assertThat(saved.vocabSize()).isEqualTo(300);
        assertThat(((ByteLevelBpe) saved).merges()).hasSize(300 - 257);
        assertThat(ModelDirectory.readConfig(out).vocabSize()).isEqualTo(300);

        // the saved tokenizer is the one tokenize and generate use
        String sample = text.substring(0, 80);
        var tok = MainTest.run("tokenize", "--model", out.toString(), "--text", sample);
        assertThat(tok.code()).as(tok.err()).isZero();
        assertThat(tok.out().strip()).isEqualTo(csv(saved.encode(sample)));
        assertThat(saved.encode(sample).length).isLessThan(sample.length()); // merges were applied
        var gen = MainTest.run("generate", "--model", out.toString(), "--prompt", " the", "--max-tokens", "5", "--seed", "1");
        assertThat(gen.code()).as(gen.err()).isZero();
        assertThat(gen.out()).startsWith(" the");

        // resume: same files, no new BPE
        byte[] vocab = Files.readAllBytes(out.resolve("vocab.json")), merges = Files.readAllBytes(out.resolve("merges.txt"));
        var resumed = MainTest.run("train", "--data", data.toString(), "--out", out.toString(), "--steps", "3");
        assertThat(resumed.code()).as(resumed.err()).isZero();
        assertThat(resumed.err()).contains("resuming").doesNotContain("learning a byte-level BPE");
        assertThat(Files.readAllBytes(out.resolve("vocab.json"))).isEqualTo(vocab);
        assertThat(Files.readAllBytes(out.resolve("merges.txt"))).isEqualTo(merges);
    }

    @Test
    void gpt2TokenizerGivesGpt2Ids(@TempDir Path dir) throws Exception {
        String text = "Hello world! It's 2024, and the café's naïve résumé costs $3.50.\n".repeat(8);
        Path data = dir.resolve("t.txt");
        Files.writeString(data, text);
        Path out = dir.resolve("g");
        var r = train("--data", data.toString(), "--out", out.toString(), "--steps", "1", "--tokenizer", "gpt2");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(ModelDirectory.readConfig(out).vocabSize()).isEqualTo(50257);
        int[] expected = Gpt2Vocabulary.bundled().encode(text);
        assertThat(Tokenizers.require(out).encode(text)).containsExactly(expected);
        var tok = MainTest.run("tokenize", "--model", out.toString(), "--text", text);
        assertThat(tok.out().strip()).isEqualTo(csv(expected));
        // the data was encoded with GPT-2 ids, not characters: training + validation tokens = GPT-2's count
        var m = java.util.regex.Pattern.compile("(\\d+) training and (\\d+) validation tokens").matcher(r.err());
        assertThat(m.find()).as(r.err()).isTrue();
        assertThat(Integer.parseInt(m.group(1)) + Integer.parseInt(m.group(2))).isEqualTo(expected.length);
    }

    @Test
    void gpt2CanBeAttachedToTokenFilesButOtherTokenizersCannot(@TempDir Path dir) {
        int[] tokens = new int[400];
        for (int i = 1; i < tokens.length; i++) tokens[i] = (tokens[i - 1] * 31 + 7) % 50257;
        Path bin = dir.resolve("toy_train.bin");
        TokenFile.write(bin, tokens, TokenFile.Format.LLMC);
        var bpe = train("--data", bin.toString(), "--out", dir.resolve("a").toString(), "--tokenizer", "bpe:300");
        assertThat(bpe.code()).isEqualTo(2);
        assertThat(bpe.err()).contains("--tokenizer bpe:300 applies to text data");

        var gpt2 = train("--data", bin.toString(), "--out", dir.resolve("b").toString(), "--steps", "1", "--tokenizer", "gpt2");
        assertThat(gpt2.code()).as(gpt2.err()).isZero();
        assertThat(dir.resolve("b/vocab.json")).isRegularFile();
    }

    @Test
    void badTokenizerValuesAreUsageErrors(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("t.txt");
        Files.writeString(data, "abc abc abc");
        for (String[] c : new String[][] {
                {"bpe:abc", "must be a whole number"},
                {"bpe:100", "at least 257 tokens"},
                {"bpe", "needs a vocabulary size"},
                {"sentencepiece", "must be char, gpt2 or bpe:N"}}) {
            var r = train("--data", data.toString(), "--out", dir.resolve("o").toString(), "--tokenizer", c[0]);
            assertThat(r.code()).as(c[0]).isEqualTo(2);
            assertThat(r.err()).contains(c[1]).doesNotContain("Exception");
            assertThat(dir.resolve("o")).doesNotExist();
        }
    }
}
