package dev.loupe.cli.tokens;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.tokens.TokenDisplay;
import dev.loupe.tokens.Tokenizer;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

/** {@code loupe tokenize}: text → token ids. */
@Command(name = "tokenize", mixinStandardHelpOptions = true,
        description = {
                "Turns text into the token ids a model sees.",
                "",
                "Prints the ids separated by commas; --json prints {\"ids\":[...],\"tokens\":[...]} with each token's raw text;",
                "--show prints one token per line, id then text, with whitespace made visible:",
                "  · space   ↵ newline   → tab   ⏎ carriage return",
                "  <0xE2>    a byte that is only part of a character",
                "",
                "The text is ordinary text: '<|endoftext|>' in it is spelled out in ordinary tokens unless --special is given.",
                "",
                "--out FILE.bin writes the ids as an llm.c token file instead of printing them: a header of 256",
                "little-endian int32 (magic 20240520, version 1, token count), then one little-endian uint16 per",
                "token, exactly what llm.c's dev/data/data_common.py write_datafile writes for GPT-2. llm.c's",
                "train_gpt2 and test programs read it as training or validation data, 'loupe train --data' and",
                "'loupe eval --data' read it back (and llm.c's own files, including its uint32 LLaMA-3 format,",
                "magic 20240801). uint16 holds ids below 65,536: a larger id is refused, naming it."},
        footer = {"", "Examples:",
                "  loupe tokenize --tokenizer gpt2 --text 'Hello world'        # 15496,995",
                "  loupe tokenize --model runs/shakespeare --file input.txt --json > ids.json",
                "  loupe tokenize --tokenizer gpt2 --text \"it's\" --show",
                "  loupe tokenize --tokenizer gpt2 --file input.txt --out tiny_shakespeare_val.bin"})
public final class TokenizeCommand implements Callable<Integer> {
    @Mixin
    TokenizerSource source;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    static final class Input {
        @Option(names = "--text", paramLabel = "TEXT", description = "The text to tokenize.")
        String text;

        @Option(names = "--file", paramLabel = "FILE", description = "A UTF-8 text file to tokenize.")
        Path file;
    }

    @Option(names = "--json", description = "Print {\"ids\":[...],\"tokens\":[...]}.")
    boolean json;

    @Option(names = "--show", description = "Print one token per line: id, tab, token text with whitespace visible.")
    boolean show;

    @Option(names = "--special", description = "Turn '<|endoftext|>' in the text into the end-of-text token.")
    boolean special;

    @Option(names = "--out", paramLabel = "FILE.bin", description = "Write an llm.c token file (uint16 ids) instead of printing.")
    Path outFile;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (json && show) throw new dev.loupe.cli.UsageException("--json and --show are exclusive");
        if (outFile != null && (json || show)) throw new dev.loupe.cli.UsageException("--out writes a token file: leave out --json and --show");
        if (outFile != null && !outFile.getFileName().toString().endsWith(".bin")) {
            throw new dev.loupe.cli.UsageException("--out " + outFile + " must end in .bin: train and eval read .bin files as tokens");
        }
        Tokenizer tok = source.load();
        String text = input.text != null ? input.text : readText(input.file);
        int[] ids = special ? tok.encodeAllowingSpecial(text) : tok.encode(text);
        PrintWriter out = spec.commandLine().getOut();
        if (outFile != null) {
            LlmcTokenFiles.write(outFile, ids, tok.vocabSize());
            System.err.printf(java.util.Locale.ROOT, "wrote %,d tokens to %s (llm.c token file: 1,024-byte header, uint16 ids)%n",
                    ids.length, outFile);
            return 0;
        }
        if (json) {
            ObjectMapper m = new ObjectMapper();
            ObjectNode root = m.createObjectNode();
            var idArray = root.putArray("ids");
            var tokArray = root.putArray("tokens");
            for (int id : ids) {
                idArray.add(id);
                tokArray.add(tok.tokenText(id));
            }
            out.println(m.writeValueAsString(root));
        } else if (show) {
            for (int id : ids) out.println(id + "\t" + TokenDisplay.visible(tok.tokenText(id)));
        } else {
            out.println(Arrays.stream(ids).mapToObj(Integer::toString).collect(Collectors.joining(",")));
        }
        out.flush();
        return 0;
    }

    static String readText(Path file) {
        try {
            return Files.readString(file);
        } catch (java.nio.charset.MalformedInputException e) {
            throw new dev.loupe.LoupeException(file + " is not UTF-8 text");
        } catch (java.nio.file.NoSuchFileException e) {
            throw new dev.loupe.LoupeException("no such file: " + file);
        } catch (java.io.IOException e) {
            throw new dev.loupe.LoupeException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }
}
