package dev.loupe.tokens;

import dev.loupe.tensor.io.AtomicFiles;
import dev.loupe.LoupeException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.OptionalInt;

/**
 * The tokenizer file of llm.c ({@code gpt2_tokenizer.bin}, written by its {@code train_gpt2.py}):
 * a header of 256 little-endian uint32 (magic 20240328, version 1 or 2, vocabulary size, and for
 * version 2 the end-of-text id; version 1 means GPT-2 with end-of-text 50256), then per token a
 * uint8 length (≥ 1) and that many bytes. It holds no merges, so it can only decode: {@link #encode}
 * fails with a message pointing at vocab.json + merges.txt.
 */
public final class LlmcTokenizer implements Tokenizer {
    /** The file name llm.c uses. */
    public static final String FILE_NAME = "gpt2_tokenizer.bin";
    public static final int MAGIC = 20240328;

    private final Path source;
    private final byte[][] tokens;
    private final int eot;

    private LlmcTokenizer(Path source, byte[][] tokens, int eot) {
        this.source = source;
        this.tokens = tokens;
        this.eot = eot;
    }

    /**
     * Reads an llm.c tokenizer file.
     *
     * @throws LoupeException naming the file for a wrong magic, unknown version, or truncated content
     */
    public static LlmcTokenizer read(Path file) {
        byte[] all;
        try {
            all = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new LoupeException("llm.c tokenizer file " + file + " does not exist");
        } catch (IOException e) {
            throw new LoupeException("cannot read " + file + ": " + e.getMessage(), e);
        }
        ByteBuffer b = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        if (all.length < 1024) {
            throw new LoupeException("llm.c tokenizer file " + file + " is truncated: " + all.length + " bytes, less than the 1024-byte header");
        }
        int magic = b.getInt(0);
        if (magic != MAGIC) {
            throw new LoupeException("llm.c tokenizer file " + file + " has magic " + magic + " in header[0]; expected " + MAGIC);
        }
        int version = b.getInt(4);
        int n = b.getInt(8);
        int eot;
        if (version == 1) {
            if (n != 50257) throw new LoupeException(file + ": version 1 files are GPT-2's 50257 tokens, but header[2] says " + n);
            eot = 50256;
        } else if (version == 2) {
            eot = b.getInt(12);
        } else {
            throw new LoupeException(file + ": unknown llm.c tokenizer version " + version + " in header[1] (expected 1 or 2)");
        }
        if (n <= 0 || eot < 0 || eot >= n) {
            throw new LoupeException(file + ": vocabulary size " + n + " and end-of-text id " + eot + " are inconsistent");
        }
        byte[][] tokens = new byte[n][];
        int at = 1024;
        for (int i = 0; i < n; i++) {
            if (at >= all.length) throw new LoupeException(file + " is truncated: it ends before token " + i + " of " + n);
            int len = all[at++] & 0xFF;
            if (len == 0) throw new LoupeException(file + ": token " + i + " has length 0");
            if (at + len > all.length) throw new LoupeException(file + " is truncated inside token " + i + " of " + n);
            tokens[i] = java.util.Arrays.copyOfRange(all, at, at + len);
            at += len;
        }
        if (at != all.length) throw new LoupeException(file + " has " + (all.length - at) + " unexpected bytes after its " + n + " tokens");
        return new LlmcTokenizer(file, tokens, eot);
    }

    /**
     * Writes a version 2 llm.c tokenizer file (tokens of 1..255 bytes), atomically: what llm.c's C
     * code reads to print generated text.
     */
    public static void write(Path file, byte[][] tokens, int endOfText) {
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i].length < 1 || tokens[i].length > 255) {
                throw new LoupeException("cannot write " + file + ": token " + i + " has " + tokens[i].length + " bytes; llm.c needs 1..255");
            }
        }
        AtomicFiles.write(file, out -> {
            ByteBuffer h = ByteBuffer.allocate(1024).order(ByteOrder.LITTLE_ENDIAN);
            h.putInt(0, MAGIC).putInt(4, 2).putInt(8, tokens.length).putInt(12, endOfText);
            out.write(h.array());
            for (byte[] t : tokens) {
                out.write(t.length);
                out.write(t);
            }
        });
    }

    /** Always fails: the file has no merge rules. */
    @Override
    public int[] encode(String text) {
        throw new LoupeException(source + " (llm.c tokenizer) can only decode; encoding needs vocab.json + merges.txt"
                + " (run 'loupe fetch gpt2' or use --tokenizer gpt2)");
    }

    @Override
    public String decode(int[] ids) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(ids.length * 4);
        for (int id : ids) out.writeBytes(tokens[check(id)]);
        return out.toString(StandardCharsets.UTF_8);
    }

    @Override
    public int vocabSize() {
        return tokens.length;
    }

    /** The bytes of token {@code id} (a copy). */
    public byte[] bytesOf(int id) {
        return tokens[check(id)].clone();
    }

    @Override
    public String tokenText(int id) {
        return TokenBytes.display(tokens[check(id)]);
    }

    @Override
    public OptionalInt endOfText() {
        return OptionalInt.of(eot);
    }

    private int check(int id) {
        if (id < 0 || id >= tokens.length) {
            throw new LoupeException("token id " + id + " is outside the vocabulary [0, " + tokens.length + ") of " + source);
        }
        return id;
    }
}
