package dev.loupe.tokens;

import dev.loupe.LoupeException;
import dev.loupe.tokens.bpe.Gpt2Vocabulary;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LlmcTokenizerTest {

    /** Builds the bytes of an llm.c tokenizer file by hand, as train_gpt2.py writes it. */
    private static byte[] file(int version, int eot, byte[][] tokens) {
        ByteBuffer h = ByteBuffer.allocate(1024).order(ByteOrder.LITTLE_ENDIAN);
        h.putInt(0, 20240328).putInt(4, version).putInt(8, tokens.length);
        if (version == 2) h.putInt(12, eot);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(h.array());
        for (byte[] t : tokens) {
            out.write(t.length);
            out.writeBytes(t);
        }
        return out.toByteArray();
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void readsVersion2AndDecodes(@TempDir Path dir) throws Exception {
        byte[][] tokens = {utf8("Hello"), utf8(" world"), new byte[] {(byte) 0xF0, (byte) 0x9F}, new byte[] {(byte) 0x99, (byte) 0x82}, utf8("<|endoftext|>")};
        Path f = dir.resolve("gpt2_tokenizer.bin");
        Files.write(f, file(2, 4, tokens));
        LlmcTokenizer t = LlmcTokenizer.read(f);
        assertThat(t.vocabSize()).isEqualTo(5);
        assertThat(t.endOfText()).hasValue(4);
        assertThat(t.decode(new int[] {0, 1, 2, 3})).isEqualTo("Hello world🙂");
        assertThat(t.tokenText(2)).isEqualTo("<0xF0><0x9F>");
        assertThat(t.tokenText(1)).isEqualTo(" world");
        assertThatThrownBy(() -> t.encode("Hello")).isInstanceOf(LoupeException.class).hasMessageContaining("can only decode");
        assertThatThrownBy(() -> t.decode(new int[] {5})).isInstanceOf(LoupeException.class).hasMessageContaining("token id 5");
        // found beside a model when nothing better is there
        assertThat(Tokenizers.load(dir).orElseThrow().decode(new int[] {1})).isEqualTo(" world");
    }

    @Test
    void version1IsGpt2AndMatchesItsVocabulary(@TempDir Path dir) throws Exception {
        var gpt2 = Gpt2Vocabulary.bundled();
        byte[][] tokens = new byte[50257][];
        for (int i = 0; i < tokens.length; i++) tokens[i] = gpt2.bytesOf(i);
        Path f = dir.resolve("gpt2_tokenizer.bin");
        Files.write(f, file(1, 0, tokens));
        LlmcTokenizer t = LlmcTokenizer.read(f);
        assertThat(t.endOfText()).hasValue(50256);
        String text = "It's a test of llm.c's file: naïve 🙂\n";
        assertThat(t.decode(gpt2.encode(text))).isEqualTo(text);
        // Loupe's writer produces what the reader (and llm.c) reads
        LlmcTokenizer.write(dir.resolve("w.bin"), tokens, 50256);
        assertThat(LlmcTokenizer.read(dir.resolve("w.bin")).decode(gpt2.encode(text))).isEqualTo(text);
    }

    @Test
    void brokenFilesAreClearErrors(@TempDir Path dir) throws Exception {
        byte[][] tokens = {utf8("a"), utf8("bc")};
        byte[] ok = file(2, 1, tokens);
        Path f = dir.resolve("t.bin");
        Files.write(f, Arrays.copyOf(ok, ok.length - 1));
        assertThatThrownBy(() -> LlmcTokenizer.read(f)).hasMessageContaining("truncated").hasMessageContaining(f.toString());
        byte[] bad = ok.clone();
        bad[0] = 1;
        Files.write(f, bad);
        assertThatThrownBy(() -> LlmcTokenizer.read(f)).hasMessageContaining("magic");
        bad = ok.clone();
        bad[4] = 3;
        Files.write(f, bad);
        assertThatThrownBy(() -> LlmcTokenizer.read(f)).hasMessageContaining("version 3");
        Files.write(f, file(1, 0, tokens));
        assertThatThrownBy(() -> LlmcTokenizer.read(f)).hasMessageContaining("50257");
        Files.write(f, Arrays.copyOf(ok, 500));
        assertThatThrownBy(() -> LlmcTokenizer.read(f)).hasMessageContaining("header");
    }
}
