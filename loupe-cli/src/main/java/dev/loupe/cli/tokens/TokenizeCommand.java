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
                "The text is ordinary text: '<|endoftext|>' in it is spelled out in ordinary tokens unless --special is given."},
        footer = {"", "Examples:",
                "  loupe tokenize --tokenizer gpt2 --text 'Hello world'        # 15496,995",
                "  loupe tokenize --model out/shakespeare --file input.txt --json > ids.json",
                "  loupe tokenize --tokenizer gpt2 --text \"it's\" --show"})
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

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (json && show) throw new dev.loupe.cli.UsageException("--json and --show are exclusive");
        Tokenizer tok = source.load();
        String text = input.text != null ? input.text : readText(input.file);
        int[] ids = special ? tok.encodeAllowingSpecial(text) : tok.encode(text);
        PrintWriter out = spec.commandLine().getOut();
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
