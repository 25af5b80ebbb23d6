package dev.loupe.cli.tokens;

import dev.loupe.LoupeException;
import dev.loupe.cli.UsageException;
import dev.loupe.tokens.TokenFile;
import dev.loupe.tokens.Tokenizer;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code loupe detokenize}: token ids → text. */
@Command(name = "detokenize", mixinStandardHelpOptions = true,
        description = {
                "Turns token ids back into text and prints it exactly (plus a final newline on a terminal).",
                "",
                "--file takes either a text file of ids (separated by commas, spaces or newlines, JSON brackets allowed)",
                "or a binary token file: llm.c's format (1024-byte header, magic 20240520) or nanoGPT's raw uint16 .bin."},
        footer = {"", "Examples:",
                "  loupe detokenize --tokenizer gpt2 --ids 15496,995          # Hello world",
                "  loupe detokenize --model runs/shakespeare --file val.bin | head"})
public final class DetokenizeCommand implements Callable<Integer> {
    @Mixin
    TokenizerSource source;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    static final class Input {
        @Option(names = "--ids", paramLabel = "1,2,3", description = "Token ids separated by commas.")
        String ids;

        @Option(names = "--file", paramLabel = "FILE", description = "A file of ids: text, llm.c .bin or nanoGPT uint16 .bin.")
        Path file;
    }

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        int[] ids;
        if (input.ids != null) {
            ids = parseIds(input.ids, "--ids");
        } else {
            ids = readIdsFile(input.file);
        }
        Tokenizer tok = source.load();
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= tok.vocabSize()) {
                throw new LoupeException("token id " + ids[i] + " (position " + i + ") is outside the vocabulary [0, " + tok.vocabSize() + ")");
            }
        }
        String text = tok.decode(ids);
        PrintWriter out = spec.commandLine().getOut();
        out.print(text);
        if (System.console() != null && !text.endsWith("\n")) out.println();
        out.flush();
        return 0;
    }

    /** Ids separated by commas/whitespace, optionally inside [ ]. */
    static int[] parseIds(String s, String what) {
        String body = s.strip();
        if (body.startsWith("[") && body.endsWith("]")) body = body.substring(1, body.length() - 1);
        if (body.isBlank()) return new int[0];
        String[] parts = body.strip().split("[,\\s]+");
        int[] ids = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                ids[i] = Integer.parseInt(parts[i]);
            } catch (NumberFormatException e) {
                throw new UsageException(what + ": '" + parts[i] + "' is not a token id (expected integers separated by commas)");
            }
        }
        return ids;
    }

    private static int[] readIdsFile(Path file) {
        byte[] head;
        try (var in = Files.newInputStream(file)) {
            head = in.readNBytes(4096);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new LoupeException("no such file: " + file);
        } catch (IOException e) {
            throw new LoupeException("cannot read " + file + ": " + e.getMessage(), e);
        }
        boolean text = head.length > 0;
        for (byte b : head) {
            if (!((b >= '0' && b <= '9') || b == ',' || b == ' ' || b == '\n' || b == '\r' || b == '\t' || b == '[' || b == ']' || b == '-')) {
                text = false;
                break;
            }
        }
        if (!text) return TokenFile.readAll(file);
        try {
            return parseIds(Files.readString(file, StandardCharsets.US_ASCII), file.toString());
        } catch (IOException e) {
            throw new LoupeException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }
}
