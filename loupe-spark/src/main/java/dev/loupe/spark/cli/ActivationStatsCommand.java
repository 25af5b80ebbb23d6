package dev.loupe.spark.cli;

import dev.loupe.cli.UsageException;
import dev.loupe.analysis.stats.ActivationStats;
import dev.loupe.analysis.stats.Binning;
import dev.loupe.analysis.stats.UnitStats;
import dev.loupe.spark.ActivationStatsJob;
import dev.loupe.spark.FaultInjection;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.IntStream;

/** {@code loupe spark activation-stats}: per-unit statistics and top-activating contexts of a hook over a corpus. */
@Command(name = "activation-stats", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
                "Per-unit statistics of one hook over token or text files, on Spark: mean, variance, max, frequency (fraction of",
                "positions > 0), a histogram and the --k top-activating contexts (the tokens around each top position, with",
                "the unit's activation at every one). Units: the neurons of blocks.L.mlp.hook_post, the directions of a",
                "residual hook (blocks.L.hook_resid_post, ...), or one per head for blocks.L.attn.hook_z (the norm of the",
                "head's z vector). Each file is cut into consecutive, non-overlapping windows of --seq tokens from its start",
                "(a shorter tail is dropped); each window runs as its own context. The numbers are those of the",
                "single-machine code on the same windows, bit for bit. Writes OUT/units.parquet, OUT/units.json",
                "(per unit: unit, mean, variance, max, frequency, top [{position, value}]; position = token index in the",
                "file, counted across files in order) and OUT/summary.json; OUT appears only when the job succeeded.", ""},
        footer = {"", "Example:", "  loupe spark activation-stats --model runs/shake --data train.bin --hook blocks.1.mlp.hook_post --out stats"})
public final class ActivationStatsCommand implements Callable<Integer> {
    @Mixin
    SparkOptions spark;
    @Mixin
    JobInput input;
    @Option(names = "--hook", required = true, description = "Hook point, e.g. blocks.0.mlp.hook_post ('loupe hooks' lists them).")
    String hook;
    @Option(names = "--k", defaultValue = "20", description = "Top contexts kept per unit (default: ${DEFAULT-VALUE}).")
    int k;
    @Option(names = "--before", defaultValue = "10", description = "Context tokens kept before a top position (default: ${DEFAULT-VALUE}).")
    int before;
    @Option(names = "--after", defaultValue = "4", description = "Context tokens kept after it (default: ${DEFAULT-VALUE}).")
    int after;
    @Option(names = "--bins", defaultValue = "40", description = "Histogram bins between --range's ends (default: ${DEFAULT-VALUE}).")
    int bins;
    @Option(names = "--range", defaultValue = "-10,10", split = ",", paramLabel = "LO,HI",
            description = "Histogram range; values outside count in an underflow and an overflow bin (default: ${DEFAULT-VALUE}).")
    double[] range;
    @Option(names = "--partitions", defaultValue = "0",
            description = "At most this many tasks (runs of consecutive windows, 2^m each), 0 = twice Spark's default parallelism (default: ${DEFAULT-VALUE}).")
    int partitions;

    @Override
    public Integer call() {
        if (k < 0 || before < 0 || after < 0) throw new UsageException("--k, --before and --after must not be negative");
        if (range.length != 2 || !(range[1] > range[0]) || bins < 1) {
            throw new UsageException("--range needs LO,HI with LO < HI and --bins at least 1");
        }
        int t = input.seq();
        ActivationStats.Spec spec = new ActivationStats.Spec(hook, k, before, after, new Binning(range[0], range[1], bins));
        ActivationStatsJob.Settings settings = new ActivationStatsJob.Settings(input.modelDir(), input.data, t, spec, partitions);
        ActivationStats s = spark.run(Map.of(), session -> ActivationStatsJob.run(session, settings, input.out, FaultInjection.NONE));
        System.out.printf("%s: %d units over %,d windows of %d tokens; written to %s%n", hook, s.units(), s.windows(), t, input.out);
        System.out.println("largest max activations:");
        IntStream.range(0, s.units()).boxed()
                .sorted(Comparator.comparingDouble((Integer u) -> s.unit(u).max()).reversed()).limit(5)
                .forEach(u -> {
                    UnitStats us = s.unit(u);
                    System.out.printf("  unit %d: max %.4f at position %d, mean %.4f, frequency %.3f%n", u, us.max(),
                            us.top().isEmpty() ? -1 : us.top().getFirst().position(), us.mean(), us.frequency());
                });
        return 0;
    }
}
