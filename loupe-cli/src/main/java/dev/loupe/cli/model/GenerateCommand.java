package dev.loupe.cli.model;

import dev.loupe.LoupeException;
import dev.loupe.cli.ModelRef;
import dev.loupe.cli.UsageException;
import dev.loupe.model.Generator;
import dev.loupe.model.Sampler;
import dev.loupe.tokens.Tokenizer;
import picocli.CommandLine.ArgGroup;
import dev.loupe.cli.sae.SaeSpliceOption;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.OptionalInt;
import java.util.concurrent.Callable;

/** {@code loupe generate}: continue a prompt, token by token, with a KV cache. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = {
                "Continue a prompt with the model, one token at a time. The prompt runs through the model once, "
                        + "filling a KV cache; every new token then costs one position through each layer. "
                        + "Linear and least-squares attention models keep a constant-size state per head instead "
                        + "(O(d_head²) per token, whatever the context length).",
                "Sampling, in this order: divide the logits by --temperature (0 = always the most likely token), "
                        + "keep the --top-k most likely (0 = all), keep the smallest set whose probability adds up to "
                        + "--top-p (1 = all), draw with --seed. Same seed, same text.",
                "Text is printed as it is generated; generation stops at --max-tokens or the end-of-text token. "
                        + "When prompt + new tokens exceed the model's context (n_positions), each token is predicted "
                        + "from the last n_positions tokens, as nanoGPT does (a note on stderr says so).",
                ""},
        footer = {"%nExamples:",
                "  loupe generate --model gpt2 --prompt \"Once upon a time\" --max-tokens 40",
                "  loupe generate --model runs/shakespeare --prompt \"ROMEO:\" --temperature 0.8 --top-k 40 --seed 7"})
public final class GenerateCommand implements Callable<Integer> {
    @Mixin
    NonFiniteOption nonFinite;
    @Mixin
    WeightsOption weights;

    @Option(names = "--model", required = true, paramLabel = "DIR|NAME", converter = ModelRef.Converter.class,
            description = "Model directory with its tokenizer, or a hub name fetched with 'loupe fetch' (gpt2).")
    ModelRef model;
    @picocli.CommandLine.Mixin
    dev.loupe.cli.lora.AdapterOption adapter;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    static final class Input {
        @Option(names = "--prompt", paramLabel = "TEXT", description = "The text to continue.")
        String prompt;

        @Option(names = "--ids", paramLabel = "ID", split = ",",
                description = "Token ids to continue, comma separated; the new ids are printed the same way "
                        + "(works without tokenizer files).")
        int[] ids;
    }

    @Option(names = "--max-tokens", defaultValue = "100", paramLabel = "N",
            description = "Most new tokens to generate (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--temperature", defaultValue = "1.0", paramLabel = "T",
            description = "Softmax temperature; 0 = greedy (default: ${DEFAULT-VALUE}).")
    float temperature;

    @Option(names = "--top-k", defaultValue = "0", paramLabel = "K",
            description = "Sample only among the K most likely tokens; 0 = no cut (default: ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--top-p", defaultValue = "1.0", paramLabel = "P",
            description = "Nucleus: the smallest set of likeliest tokens with probability ≥ P; 1 = no cut (default: ${DEFAULT-VALUE}).")
    float topP;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Mixin
    SaeSpliceOption sae;

    @Override
    public Integer call() {
        if (maxTokens < 0) throw new UsageException("--max-tokens must be ≥ 0, got " + maxTokens);
        Sampler sampler;
        try {
            sampler = new Sampler(temperature, topK, topP, seed);
        } catch (LoupeException e) {
            throw new UsageException(e.getMessage());
        }
        LoadedGpt m = LoadedGpt.open(model, nonFinite.allowed(), adapter, weights.format());
        sae.attach(m.model());
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        if (input.ids != null) return generateIds(m, sampler, input.ids, out);
        String prompt = input.prompt;
        Tokenizer tok = m.requireTokenizer("--prompt");
        int[] ids = tok.encode(prompt);
        if (ids.length == 0) throw new LoupeException("the prompt encodes to no tokens: give at least one character");
        noteCrop(m, ids.length);
        OptionalInt eot = tok.endOfText();
        TextStream stream = new TextStream(tok, out);
        boolean[] started = {false}; // the prompt is printed with the first new token, never before an error
        long start = System.nanoTime();
        int[] all = new Generator(m.model(), sampler).generate(ids, maxTokens, t -> {
            if (!started[0]) {
                out.print(prompt);
                started[0] = true;
            }
            if (eot.isPresent() && t == eot.getAsInt()) return false;
            stream.accept(t);
            return true;
        });
        if (!started[0]) out.print(prompt);
        stream.finish();
        out.println();
        int generated = all.length - ids.length;
        report(m, generated, start);
        return 0;
    }

    /** Id in, ids out: the prompt ids and then each new id as it is sampled, comma separated. */
    private int generateIds(LoadedGpt m, Sampler sampler, int[] ids, PrintStream out) {
        if (ids.length == 0) throw new UsageException("--ids needs at least one token id");
        int vocab = m.model().config().vocabSize();
        for (int id : ids) {
            if (id < 0 || id >= vocab) throw new UsageException("--ids: token id " + id + " is outside the vocabulary [0, " + vocab + ")");
        }
        noteCrop(m, ids.length);
        StringBuilder line = new StringBuilder();
        for (int i = 0; i < ids.length; i++) line.append(i == 0 ? "" : ",").append(ids[i]);
        long start = System.nanoTime();
        int[] all = new Generator(m.model(), sampler).generate(ids, maxTokens, t -> {
            if (!line.isEmpty()) { // the prompt ids go out with the first new id, never before an error
                out.print(line);
                line.setLength(0);
            }
            out.print("," + t);
            return true;
        });
        out.print(line);
        out.println();
        report(m, all.length - ids.length, start);
        return 0;
    }

    /** One stderr line when the context will be cropped to the last n_positions tokens (nanoGPT's behaviour). */
    private void noteCrop(LoadedGpt m, int promptLength) {
        var c = m.model().config();
        if (Generator.cropsContext(c, promptLength, maxTokens)) {
            System.err.printf(Locale.ROOT, "loupe: the prompt (%d tokens) + %d new tokens exceed the model's context of %d: "
                    + "each token is predicted from the last %d tokens only (as nanoGPT does)%n",
                    promptLength, maxTokens, c.nPositions(), c.nPositions());
        }
    }

    private static void report(LoadedGpt m, int generated, long start) {
        double s = (System.nanoTime() - start) / 1e9;
        var kind = m.model().config().attention();
        String state = kind.recurrent() ? "; " + kind.kindName() + " attention: a constant-size state per head, no KV cache" : "";
        System.err.printf(Locale.ROOT, "(%d new tokens in %.2f s, %.1f tokens/s%s)%n", generated, s, generated / Math.max(s, 1e-9), state);
    }

    /**
     * Prints generated text as it grows. A byte-level token can end inside a UTF-8 character, so the
     * text of all generated tokens is re-decoded and only the settled part (not ending in U+FFFD) is
     * printed.
     */
    private static final class TextStream {
        private final Tokenizer tok;
        private final PrintStream out;
        private int[] tokens = new int[16];
        private int n;
        private int printed; // chars of the decoded text already printed

        TextStream(Tokenizer tok, PrintStream out) {
            this.tok = tok;
            this.out = out;
        }

        void accept(int t) {
            if (n == tokens.length) tokens = Arrays.copyOf(tokens, 2 * n);
            tokens[n++] = t;
            String text = tok.decode(Arrays.copyOf(tokens, n));
            int settled = text.endsWith("\uFFFD") ? text.length() - 1 : text.length();
            if (settled > printed) {
                out.print(text.substring(printed, settled));
                printed = settled;
            }
        }

        void finish() {
            String text = tok.decode(Arrays.copyOf(tokens, n));
            if (text.length() > printed) out.print(text.substring(printed));
        }
    }
}
