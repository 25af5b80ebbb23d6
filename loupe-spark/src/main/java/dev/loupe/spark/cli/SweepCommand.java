package dev.loupe.spark.cli;

import dev.loupe.cli.UsageException;
import dev.loupe.spark.FaultInjection;
import dev.loupe.spark.SweepGrid;
import dev.loupe.spark.SweepJob;
import dev.loupe.spark.SweepRun;
import dev.loupe.spark.SweepSummary;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code loupe spark sweep}: many small models over a grid, one Spark task each. */
@Command(name = "sweep", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
                "Trains every configuration of a grid of small models on the same data, one Spark task per configuration.",
                "Grid keys: heads, d_model, layers, d_mlp, seed, lr, steps (KEY=V1,V2,...; every combination runs); keys",
                "not in the grid take the options below. Each run trains as 'loupe train' does (pre-LN GPT, AdamW, warm-up",
                "then cosine, random batches seeded by seed; the last 10 % of the data held out) and writes",
                "OUT/runs/KEY=V,.../ (config.json, model.safetensors, tokenizer, history.json, loss.png). Then",
                "OUT/sweep.parquet and OUT/summary.json (one row per run), and OUT/sweep.png: final validation loss",
                "against the swept variable (the first key other than seed with several values), seeds as error bars.",
                "Each task trains with --threads threads (spark.task.cpus = --threads). OUT appears only when every run",
                "finished.", ""},
        footer = {"", "Example (seed 003: many low-dimensional heads):",
                "  loupe spark sweep --data shakespeare.txt --grid heads=1,2,4,8,16,32,64 d_model=64 layers=2 seed=1,2,3 --steps 200 --out sweep-heads"})
public final class SweepCommand implements Callable<Integer> {
    @Mixin
    SparkOptions spark;
    @Option(names = "--data", required = true, paramLabel = "FILE", description = "Text file (character tokenizer) or .bin token file.")
    Path data;
    @Option(names = "--grid", required = true, arity = "1..*", paramLabel = "KEY=V1,V2", description = "The grid, e.g. heads=1,2,4 seed=1,2,3.")
    List<String> grid;
    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory (must not exist).")
    Path out;
    @Option(names = "--heads", defaultValue = "4", description = "Heads when the grid does not set them (default: ${DEFAULT-VALUE}).")
    int heads;
    @Option(names = "--d-model", defaultValue = "64", description = "Residual width when the grid does not set it (default: ${DEFAULT-VALUE}).")
    int dModel;
    @Option(names = "--layers", defaultValue = "2", description = "Blocks when the grid does not set them (default: ${DEFAULT-VALUE}).")
    int layers;
    @Option(names = "--steps", defaultValue = "200", description = "Optimizer steps per run (default: ${DEFAULT-VALUE}).")
    int steps;
    @Option(names = "--lr", defaultValue = "1e-3", description = "Peak learning rate (default: ${DEFAULT-VALUE}).")
    double lr;
    @Option(names = "--seed", defaultValue = "1337", description = "Seed when the grid does not set it (default: ${DEFAULT-VALUE}).")
    long seed;
    @Option(names = "--seq", defaultValue = "64", description = "Context length T (default: ${DEFAULT-VALUE}).")
    int seq;
    @Option(names = "--batch", defaultValue = "8", description = "Rows per batch B (default: ${DEFAULT-VALUE}).")
    int batch;
    @Option(names = "--eval-every", defaultValue = "50", description = "Validation loss every N steps and at the end (default: ${DEFAULT-VALUE}).")
    int evalEvery;
    @Option(names = "--threads", defaultValue = "1",
            description = "Threads per training = spark.task.cpus; executors get LOUPE_THREADS=N. Embedded runs share the "
                    + "JVM's kernel threads (default: ${DEFAULT-VALUE}).")
    int threads;

    @Override
    public Integer call() {
        if (steps < 1 || seq < 1 || batch < 1 || evalEvery < 1 || threads < 1) {
            throw new UsageException("--steps, --seq, --batch, --eval-every and --threads must be positive");
        }
        SweepGrid g = SweepGrid.parse(grid);
        Map<String, String> defaults = new LinkedHashMap<>();
        defaults.put("heads", Integer.toString(heads));
        defaults.put("d_model", Integer.toString(dModel));
        defaults.put("layers", Integer.toString(layers));
        defaults.put("steps", Integer.toString(steps));
        defaults.put("lr", Double.toString(lr));
        defaults.put("seed", Long.toString(seed));
        SweepJob.Settings settings = new SweepJob.Settings(data, g, defaults, seq, batch, evalEvery);
        List<SweepRun.Outcome> outcomes = spark.run(Map.of("spark.task.cpus", Integer.toString(threads),
                "spark.executorEnv.LOUPE_THREADS", Integer.toString(threads)), session -> SweepJob.run(session, settings, out,
                FaultInjection.NONE));
        System.out.print(SweepSummary.table(g.sweptKey(), SweepSummary.points(g, outcomes)));
        System.out.printf("%d runs written to %s (sweep.png, summary.json, runs/)%n", outcomes.size(), out);
        return 0;
    }
}
