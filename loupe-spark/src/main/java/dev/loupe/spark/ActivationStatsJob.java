package dev.loupe.spark;

import dev.loupe.LoupeException;
import dev.loupe.analysis.stats.ActivationStats;
import dev.loupe.analysis.stats.CorpusWindows;
import dev.loupe.analysis.stats.HookUnits;
import dev.loupe.analysis.stats.WindowTree;
import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.model.io.ModelDirectory;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import scala.Tuple2;

import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * {@code loupe spark activation-stats}: {@link ActivationStats} of one hook over token files.
 * The windows (each shard cut into consecutive windows of seq tokens from its start, a shorter tail
 * dropped; each window its own context) are split into runs aligned to a {@link WindowTree}, one
 * per task; a task runs its windows through the model (loaded once per executor JVM) and folds
 * their summaries into one tree node; the nodes are merged level by level with {@code reduceByKey},
 * each pass halving them. The merges
 * are those of {@link ActivationStats#compute}, so the numbers are the single-machine ones, bit for
 * bit, however the work was split and whichever tasks were retried.
 */
public final class ActivationStatsJob {
    private ActivationStatsJob() {}

    /**
     * What to collect.
     *
     * @param model      model directory (readable by every executor at this path)
     * @param data       token files (.bin) or text files (tokenized with the model's tokenizer), in order
     * @param seq        tokens per window (context)
     * @param spec       hook, top-k, context size, histogram bins
     * @param partitions at most this many tasks (runs of consecutive windows aligned to the tree); 0 = twice Spark's default parallelism
     */
    public record Settings(Path model, List<Path> data, int seq, ActivationStats.Spec spec, int partitions) {}

    /** Windows [from, to) for one task. */
    record Run(long from, long to) implements Serializable {}

    /** Runs the job; writes units.parquet, units.json and summary.json to {@code out} (committed on success). */
    public static ActivationStats run(SparkSession spark, Settings s, Path out, FaultInjection fault) {
        ModelHandle model = ModelHandle.of(s.model());
        GptConfig config = ModelDirectory.readConfig(s.model());
        if (s.seq() < 1 || s.seq() > config.nPositions()) {
            throw new LoupeException("--seq must be in 1.." + config.nPositions() + " (the model's context), got " + s.seq());
        }
        HookUnits.of(config, s.spec().hook());                                  // an unknown hook fails here
        try (StagedOutput staged = StagedOutput.create(out)) {
            TokenShards shards = TextShards.tokenize(spark, model, s.data(), staged.dir().resolve(EvalJob.SCRATCH));
            CorpusWindows windows = new CorpusWindows(shards.sizes(), s.seq());
            long n = windows.count();
            if (n == 0) {
                throw new LoupeException("the input holds no window of --seq " + s.seq() + " tokens (files: "
                        + String.join(", ", shards.names()) + "); give a smaller --seq");
            }
            JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
            int p = (int) Math.min(n, s.partitions() > 0 ? s.partitions() : 2L * sc.defaultParallelism());
            List<Run> runs = new ArrayList<>();
            for (long[] r : WindowTree.runs(n, p)) runs.add(new Run(r[0], r[1]));
            int firstLevel = WindowTree.levels(runs.getFirst().to() - runs.getFirst().from());
            ActivationStats.Spec spec = s.spec();
            int vocab = config.vocabSize();
            ActivationStats stats;
            try {
                JavaRDD<WindowTree.Node<ActivationStats>> nodes = sc.parallelize(runs, runs.size())
                        .mapPartitions(it -> summarise(it, model, shards, windows, spec, vocab, fault));
                stats = merge(nodes, n, firstLevel, runs.size());
            } catch (Exception e) {      // SparkException is checked, thrown undeclared
                throw SparkFailures.explain(e);
            }
            StagedOutput.delete(staged.dir().resolve(EvalJob.SCRATCH));
            StatsOutput.write(spark, stats, s, staged.dir());
            staged.commit();
            return stats;
        }
    }

    private static Iterator<WindowTree.Node<ActivationStats>> summarise(Iterator<Run> it, ModelHandle model, TokenShards shards,
                                                                       CorpusWindows windows, ActivationStats.Spec spec, int vocab,
                                                                       FaultInjection fault) {
        Gpt gpt = model.gpt();
        List<WindowTree.Node<ActivationStats>> out = new ArrayList<>();
        while (it.hasNext()) {
            Run r = it.next();
            WindowTree.Builder<ActivationStats> b = new WindowTree.Builder<>(ActivationStats.merger());
            for (long w = r.from(); w < r.to(); w++) {
                int shard = windows.shardOf(w);
                int[] tokens = shards.read(shard, windows.startInShard(w), windows.seq());
                TokenShards.checkVocabulary(tokens, vocab, shards.names().get(shard));
                b.add(w, ActivationStats.ofWindow(gpt, spec, tokens, windows.position(w)));
            }
            out.addAll(b.nodes(windows.count()));
        }
        fault.maybeFail();
        return out.iterator();
    }

    /**
     * Merges the tasks' tree nodes (one per run, at level {@code firstLevel} or above) level by
     * level, as {@link WindowTree#finish} does on one machine: each pass halves the nodes.
     */
    private static ActivationStats merge(JavaRDD<WindowTree.Node<ActivationStats>> nodes, long n, int firstLevel, int partitions) {
        JavaRDD<WindowTree.Node<ActivationStats>> current = nodes;
        int levels = WindowTree.levels(n);
        for (int level = firstLevel; level < levels; level++) {
            final int l = level;
            int parts = Math.max(1, partitions >> (level - firstLevel + 1));
            current = current
                    .mapToPair(node -> {
                        long[] k = WindowTree.parentKey(node, l);
                        return new Tuple2<>(k[0] + "/" + k[1], node);
                    })
                    .reduceByKey((a, b) -> WindowTree.combine(a, b, ActivationStats.merger()), parts)
                    .map(t -> WindowTree.promote(t._2(), l, n));
        }
        List<WindowTree.Node<ActivationStats>> root = current.collect();
        if (root.size() != 1) throw new IllegalStateException(root.size() + " roots: a window is missing or repeated");
        return root.getFirst().value();
    }
}
