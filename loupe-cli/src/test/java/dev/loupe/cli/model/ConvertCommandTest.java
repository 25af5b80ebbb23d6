package dev.loupe.cli.model;

import dev.loupe.cli.MainTest;
import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.model.io.LlmcCheckpoint;
import dev.loupe.model.io.ModelDirectory;
import dev.loupe.tensor.Tensor;
import dev.loupe.tensor.io.Npy;
import dev.loupe.tokens.LlmcTokenizer;
import dev.loupe.tokens.Tokenizers;
import dev.loupe.tokens.bpe.BpeTrainer;
import dev.loupe.tokens.bpe.ByteLevelBpe;
import dev.loupe.tokens.bpe.Gpt2Vocabulary;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code loupe convert}: native ↔ llm.c, weights bit for bit, tokenizers carried along. */
class ConvertCommandTest {
    @TempDir
    Path tmp;

    /** A GPT-2-shaped (llm.c-compatible) model; vocab 300 is not a multiple of 128, so llm.c pads it. */
    private Path nativeModel(int vocab, ByteLevelBpe tok) {
        GptConfig c = new GptConfig(vocab, 16, 16, 2, 2, 64, 1e-5f, true,
                GptConfig.Norm.PRE, GptConfig.Mlp.GELU, GptConfig.Positional.LEARNED);
        Path dir = tmp.resolve("native");
        ModelDirectory.write(dir, c, Gpt.create(c, 7).parameters());
        if (tok != null) Tokenizers.save(tok, dir);
        return dir;
    }

    @Test
    void roundTripThroughLlmcKeepsEveryWeightAndEveryLogit() throws Exception {
        ByteLevelBpe bpe = BpeTrainer.train("the quick brown fox jumps over the lazy dog; ".repeat(30)
                + "pack my box with five dozen liquor jugs. ".repeat(30), 300);
        Path dir = nativeModel(bpe.vocabSize(), bpe);
        Path bin = tmp.resolve("llmc/model.bin"), tokBin = tmp.resolve("llmc/" + LlmcTokenizer.FILE_NAME);

        var toLlmc = MainTest.run("convert", "--from", dir.toString(), "--to", bin.toString(), "--format", "llmc",
                "--tokenizer", tokBin.toString());
        assertThat(toLlmc.code()).as(toLlmc.err()).isZero();
        assertThat(toLlmc.err()).contains("writing " + bin);
        int vp = (bpe.vocabSize() + 127) / 128 * 128;
        long params = ModelDirectory.read(dir).weights().values().stream().mapToLong(Tensor::size).sum();
        assertThat(Files.size(bin)).isEqualTo(1024 + 4 * (params + (long) (vp - bpe.vocabSize()) * 16)); // padded wte rows
        assertThat(LlmcTokenizer.read(tokBin).decode(bpe.encode("the lazy fox"))).isEqualTo("the lazy fox");

        Path back = tmp.resolve("back");   // the tokenizer file beside the checkpoint is found without --tokenizer
        var toNative = MainTest.run("convert", "--from", bin.toString(), "--to", back.toString());
        assertThat(toNative.code()).as(toNative.err()).isZero();
        assertThat(toNative.out()).contains(LlmcTokenizer.FILE_NAME + " (decode only");

        var a = ModelDirectory.read(dir);
        var b = ModelDirectory.read(back);
        assertThat(b.config()).isEqualTo(a.config());
        assertThat(b.weights().keySet()).containsExactlyElementsOf(a.weights().keySet());
        for (Map.Entry<String, Tensor> e : a.weights().entrySet()) {
            assertThat(b.weights().get(e.getKey()).maxAbsDiff(e.getValue())).as(e.getKey()).isZero();
        }

        Path za = tmp.resolve("a.npy"), zb = tmp.resolve("b.npy");
        var la = MainTest.run("logits", "--model", dir.toString(), "--ids", "5,17,2,299,0", "--out", za.toString(), "--top", "3");
        var lb = MainTest.run("logits", "--model", back.toString(), "--ids", "5,17,2,299,0", "--out", zb.toString(), "--top", "3");
        assertThat(lb.code()).as(lb.err()).isZero();
        assertThat(Npy.read(zb).maxAbsDiff(Npy.read(za))).isZero();
        assertThat(lb.out().replace(zb.toString(), "")).isEqualTo(la.out().replace(za.toString(), ""));
    }

    @Test
    void anLlmcTokenizerWithGpt2sTokensBecomesAFullGpt2Tokenizer() {
        ByteLevelBpe gpt2 = Gpt2Vocabulary.bundled();
        GptConfig c = new GptConfig(gpt2.vocabSize(), 8, 8, 1, 2, 32, 1e-5f, true,
                GptConfig.Norm.PRE, GptConfig.Mlp.GELU, GptConfig.Positional.LEARNED);
        Path bin = tmp.resolve("gpt2_tiny.bin");
        LlmcCheckpoint.write(bin, c, Gpt.create(c, 1).parameters());
        byte[][] tokens = new byte[gpt2.vocabSize()][];
        for (int i = 0; i < tokens.length; i++) tokens[i] = gpt2.bytesOf(i);
        Path tokBin = tmp.resolve("tok.bin");
        LlmcTokenizer.write(tokBin, tokens, Gpt2Vocabulary.END_OF_TEXT);

        Path out = tmp.resolve("m");
        var r = MainTest.run("convert", "--from", bin.toString(), "--to", out.toString(), "--tokenizer", tokBin.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(out.resolve("vocab.json")).isRegularFile();
        assertThat(out.resolve(LlmcTokenizer.FILE_NAME)).doesNotExist();
        String text = "Hello there, general Kenobi!";
        var tok = MainTest.run("tokenize", "--model", out.toString(), "--text", text);
        assertThat(tok.code()).as(tok.err()).isZero();
        assertThat(tok.out().strip()).isEqualTo(String.join(",",
                java.util.Arrays.stream(gpt2.encode(text)).mapToObj(Integer::toString).toList()));
    }

    @Test
    void mistakesAreOneLine() throws Exception {
        GptConfig post = new GptConfig(50, 8, 8, 1, 2, 32, 1e-5f, true,
                GptConfig.Norm.POST, GptConfig.Mlp.GELU, GptConfig.Positional.LEARNED);
        Path dir = tmp.resolve("post");
        ModelDirectory.write(dir, post, Gpt.create(post, 1).parameters());
        var r = MainTest.run("convert", "--from", dir.toString(), "--to", tmp.resolve("x.bin").toString());
        assertThat(r.code()).isEqualTo(1);
        var lines = r.err().strip().lines().toList();   // progress lines, then the one error line
        assertThat(lines.getLast()).startsWith("loupe: ").contains("post-LN").contains("llm.c");
        assertThat(lines.stream().filter(l -> l.startsWith("loupe:") || l.contains("Exception"))).hasSize(1);
        assertThat(tmp.resolve("x.bin")).doesNotExist();

        Path notLlmc = tmp.resolve("junk.bin");
        Files.write(notLlmc, new byte[2048]);
        var junk = MainTest.run("convert", "--from", notLlmc.toString(), "--to", tmp.resolve("d").toString());
        assertThat(junk.code()).isEqualTo(1);
        assertThat(junk.err()).contains("not an llm.c model checkpoint");

        var usage = MainTest.run("convert", "--from", notLlmc.toString(), "--to", tmp.resolve("e.bin").toString(), "--format", "llmc");
        assertThat(usage.code()).isEqualTo(2);

        Path existing = nativeModel(300, null);
        var exists = MainTest.run("convert", "--from", dir.toString(), "--to", existing.resolve("config.json").toString());
        assertThat(exists.code()).isEqualTo(1);
        assertThat(exists.err()).contains("--force");
    }
}
