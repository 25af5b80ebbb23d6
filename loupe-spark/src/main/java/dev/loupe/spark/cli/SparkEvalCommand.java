package dev.loupe.spark.cli;

import dev.loupe.spark.EvalJob;
import dev.loupe.spark.FaultInjection;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.Map;
import java.util.concurrent.Callable;

/** {@code loupe spark eval}: {@code loupe eval} over many token files on Spark. */
@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
                "Mean next-token loss (nats) and perplexity of a model over token or text files, per file and in total, on Spark.",
                "Each file is cut exactly as 'loupe eval' cuts it: consecutive windows of --seq + 1 tokens with stride --seq,",
                "at most --max-windows in all, --batch windows per forward pass; on one file the loss is the number",
                "'loupe eval' prints. Writes OUT/eval.parquet (one row per file) and OUT/summary.json; OUT appears only",
                "when the job succeeded. The model directory and the files must be readable by every executor at",
                "the same path.", ""},
        footer = {"", "Example:", "  loupe spark eval --model runs/shake --data val.bin --out eval-shake"})
public final class SparkEvalCommand implements Callable<Integer> {
    @Mixin
    SparkOptions spark;
    @Mixin
    JobInput input;
    @Option(names = "--batch", defaultValue = "8", description = "Windows per forward pass (default: ${DEFAULT-VALUE}).")
    int batch;
    @Option(names = "--max-windows", defaultValue = "0", description = "Evaluate at most this many windows, 0 = all (default: ${DEFAULT-VALUE}).")
    long maxWindows;

    @Override
    public Integer call() {
        EvalJob.Settings settings = new EvalJob.Settings(input.modelDir(), input.data, input.seq, batch, maxWindows);
        EvalJob.Result r = spark.run(Map.of(), session -> EvalJob.run(session, settings, input.out, FaultInjection.NONE));
        for (EvalJob.ShardLoss s : r.shards()) {
            System.out.printf("%s: loss %.4f, perplexity %.3f (%,d tokens)%n", s.shard(), s.loss(), s.perplexity(), s.tokens());
        }
        System.out.printf("loss %.4f nats/token, perplexity %.3f (%,d tokens in windows of %d); written to %s%n", r.loss(),
                r.perplexity(), r.tokens(), r.seq(), input.out);
        return 0;
    }
}
