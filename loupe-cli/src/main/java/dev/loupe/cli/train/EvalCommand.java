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
                "Mean next-token cross-entropy (nats) and perplexity of a model on a file: consecutive",
                "non-overlapping windows of --seq + 1 tokens. Text is tokenized with the model's tokenizer;",
                ".bin files are llm.c or nanoGPT token files.", ""},
        footer = {"", "Example:", "  loupe eval --model runs/shake --data shakespeare.txt"})
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
    @Option(names = "--batch", defaultValue = "8", description = "Windows per forward pass (default: ${DEFAULT-VALUE}).")
    int batch;
    @Option(names = "--max-windows", defaultValue = "0", description = "Evaluate at most this many windows, 0 = all (default: ${DEFAULT-VALUE}).")
    long maxWindows;
    @Option(names = "--json", description = "Print {\"loss\", \"perplexity\", \"tokens\"} as JSON.")
    boolean json;

    @Override
    public Integer call() {
        Path dir = model.dir();
        ModelDirectory.LoadedModel m = adapter.read(dir);
        Gpt gpt = Gpt.fromWeights(m.config(), m.weights());
        int t = seq != null ? seq : Math.min(1024, m.config().nPositions());
        if (t < 1 || t > m.config().nPositions()) {
            throw new UsageException("--seq must be in 1.." + m.config().nPositions() + " (the model's context), got " + t);
        }
        if (batch < 1) throw new UsageException("--batch must be positive, got " + batch);
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
        Evaluator.Result r = Evaluator.evaluate(gpt, List.of(tokens), batch, t, maxWindows);
        if (json) {
            System.out.printf("{\"loss\": %s, \"perplexity\": %s, \"tokens\": %d}%n", r.loss(), r.perplexity(), r.tokens());
        } else {
            System.out.printf("loss %.4f nats/token, perplexity %.3f (%,d tokens in windows of %d)%n", r.loss(), r.perplexity(),
                    r.tokens(), t);
        }
        return 0;
    }
}
