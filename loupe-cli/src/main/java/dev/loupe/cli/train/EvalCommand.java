package dev.loupe.cli.train;

import dev.loupe.cli.ModelRef;
import dev.loupe.cli.UsageException;
import dev.loupe.model.Gpt;
import dev.loupe.model.io.ModelDirectory;
import dev.loupe.tokens.Tokenizers;
import dev.loupe.train.Evaluator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code loupe eval}: mean next-token loss and perplexity of a model on a text or token file. */
@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
                "Mean next-token cross-entropy (nats) and perplexity of a model on a file, in windows of",
                "--seq + 1 tokens that advance by --seq: consecutive windows share one token (the last",
                "target of one is the first input of the next, as in llm.c's loader), so every token after",
                "the first is predicted exactly once, with at most --seq tokens of context. Tokens after the",
                "last whole window are not counted. Text is tokenized with the model's tokenizer; .bin files",
                "are llm.c or nanoGPT token files.", ""},
        footer = {"", "Example:", "  loupe eval --model runs/shakespeare --data ../shared/data/tinyshakespeare.txt"})
public final class EvalCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR|NAME", converter = ModelRef.Converter.class,
            description = "Model directory, or a hub name fetched with 'loupe fetch' (gpt2).")
    ModelRef model;
    @picocli.CommandLine.Mixin
    dev.loupe.cli.lora.AdapterOption adapter;
    @Option(names = "--data", required = true, paramLabel = "FILE", description = "Text or .bin token file.")
    Path data;
    @Option(names = "--seq", description = "Tokens per window (default: the model's context, at most 1024).")
    Integer seq;
    @Option(names = "--batch", defaultValue = "8", description = "Windows per forward pass, at most the number of windows "
            + "(default: ${DEFAULT-VALUE}).")
    int batch;
    @Option(names = "--max-windows", defaultValue = "0", description = "Evaluate at most this many windows, 0 = all (default: ${DEFAULT-VALUE}).")
    long maxWindows;
    @picocli.CommandLine.Mixin
    dev.loupe.cli.model.NonFiniteOption nonFinite = new dev.loupe.cli.model.NonFiniteOption();
    @Option(names = "--json", description = "Print {\"loss\", \"perplexity\", \"tokens\"} as JSON.")
    boolean json;

    @Override
    public Integer call() {
        Path dir = model.dir();
        ModelDirectory.LoadedModel m = adapter.read(dir, nonFinite.allowed());
        Gpt gpt = Gpt.fromWeights(m.config(), m.weights());
        int t = seq != null ? seq : Math.min(1024, m.config().nPositions());
        if (t < 1 || t > m.config().nPositions()) {
            throw new UsageException("--seq must be in 1.." + m.config().nPositions() + " (the model's context), got " + t);
        }
        if (batch < 1) throw new UsageException("--batch must be positive, got " + batch);
        if (maxWindows < 0) throw new UsageException("--max-windows must be 0 (all) or positive, got " + maxWindows);
        int[] tokens = TrainingDataFiles.evalTokens(data, Tokenizers.load(dir));
        int max = tokens.length == 0 ? -1 : java.util.Arrays.stream(tokens).max().getAsInt();
        if (max >= m.config().vocabSize()) {
            throw new dev.loupe.LoupeException(data + " holds token id " + max + " but the model's vocabulary has "
                    + m.config().vocabSize() + " tokens");
        }
        if (tokens.length < t + 1) {
            throw new dev.loupe.LoupeException(data + " holds " + tokens.length + " tokens, fewer than one window of --seq "
                    + t + " + 1; give a smaller --seq");
        }
        // never more windows per pass than there are to evaluate; sizes checked in long before any array is made
        long windows = (tokens.length - 1L) / t;
        if (maxWindows > 0) windows = Math.min(windows, maxWindows);
        int rows = (int) Math.min(batch, windows);
        TrainingFootprint.of(m.config()).checkEvaluation(rows, t, Runtime.getRuntime().maxMemory());
        Evaluator.Result r = Evaluator.evaluate(gpt, List.of(tokens), rows, t, maxWindows,
                new dev.loupe.cli.EvaluationProgress(System.err, "eval"));
        if (json) {
            System.out.printf("{\"loss\": %s, \"perplexity\": %s, \"tokens\": %d}%n", r.loss(), r.perplexity(), r.tokens());
        } else {
            System.out.printf("loss %.4f nats/token, perplexity %.3f (%,d tokens in windows of %d)%n", r.loss(), r.perplexity(),
                    r.tokens(), t);
        }
        return 0;
    }
}
