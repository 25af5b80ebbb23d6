package dev.loupe.spark;

import dev.loupe.LoupeException;
import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.model.io.ModelDirectory;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code loupe spark eval}: mean next-token loss of a model over token files, per shard and in
 * total, cut exactly as {@code loupe eval} cuts a file (windows of seq + 1 tokens with stride seq,
 * at most {@code maxWindows} in all, in batches of {@code batch} windows). Each Spark task evaluates
 * whole batches with the same call {@code loupe eval} makes, and the driver adds the batch losses
 * in batch order: on one file the result is the same double as {@code loupe eval}'s. With several
 * files, batches do not span files.
 */
public final class EvalJob {
    private EvalJob() {}

    /** Where text inputs are tokenized to, inside the staging directory (removed before the commit). */
    static final String SCRATCH = "_tokens";

    /**
     * What to evaluate.
     *
     * @param model      model directory (readable by every executor at this path)
     * @param data       token files (.bin) or text files (tokenized with the model's tokenizer), in order
     * @param seq        tokens per window, or null for the model's context (at most 1024)
     * @param batch      windows per forward pass
     * @param maxWindows at most this many windows in all; 0 = all
     */
    public record Settings(Path model, List<Path> data, Integer seq, int batch, long maxWindows) {}

    /** Mean loss over one file's windows. */
    public record ShardLoss(String shard, long windows, long tokens, double loss) implements Serializable {
        public double perplexity() { return Math.exp(loss); }
    }

    /** Mean loss over every predicted token, and per file. */
    public record Result(double loss, long tokens, int seq, List<ShardLoss> shards) {
        public double perplexity() { return Math.exp(loss); }
    }

    /** Batch {@code index} (in job order): {@code rows} windows of shard {@code shard} from window {@code first}. */
    record Batch(long index, int shard, long first, int rows) implements Serializable {}

    /** Batch {@code index}'s mean loss × rows. */
    record BatchLoss(long index, int shard, double weighted, int rows) implements Serializable {}

    /** Runs the job and writes {@code eval.parquet} (one row per shard) and {@code summary.json} to {@code out} (committed on success). */
    public static Result run(SparkSession spark, Settings s, Path out, FaultInjection fault) {
        ModelHandle model = ModelHandle.of(s.model());
        GptConfig config = ModelDirectory.readConfig(s.model());
        int seq = s.seq() != null ? s.seq() : Math.min(1024, config.nPositions());
        if (seq < 1 || seq > config.nPositions()) {
            throw new LoupeException("--seq must be in 1.." + config.nPositions() + " (the model's context), got " + seq);
        }
        if (s.batch() < 1) throw new LoupeException("--batch must be positive, got " + s.batch());
        try (StagedOutput staged = StagedOutput.create(out)) {
            TokenShards shards = TextShards.tokenize(spark, model, s.data(), staged.dir().resolve(SCRATCH));
            List<Batch> batches = batches(shards, seq, s.batch(), s.maxWindows());
            JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
            int slices = Math.max(1, Math.min(batches.size(), sc.defaultParallelism() * 4));
            int vocab = config.vocabSize();
            List<BatchLoss> losses;
            try {
                losses = new ArrayList<>(sc.parallelize(batches, slices)
                        .mapPartitions(it -> evaluate(it, model, shards, seq, vocab, fault)).collect());
            } catch (Exception e) {      // SparkException is checked, thrown undeclared
                throw SparkFailures.explain(e);
            }
            losses.sort(java.util.Comparator.comparingLong(BatchLoss::index));
            Result r = combine(losses, shards, seq);
            StagedOutput.delete(staged.dir().resolve(SCRATCH));
            write(spark, r, staged.dir(), s);
            staged.commit();
            return r;
        }
    }

    /** The batches of every shard, in order, up to {@code maxWindows} windows in all. */
    static List<Batch> batches(TokenShards shards, int seq, int batch, long maxWindows) {
        long left = maxWindows <= 0 ? Long.MAX_VALUE : maxWindows;
        List<Batch> out = new ArrayList<>();
        for (int sh = 0; sh < shards.paths().size() && left > 0; sh++) {
            long n = shards.sizes()[sh];
            long windows = Math.min(left, n >= seq + 1L ? (n - 1) / seq : 0);
            for (long w = 0; w < windows; w += batch) out.add(new Batch(out.size(), sh, w, (int) Math.min(batch, windows - w)));
            left -= windows;
        }
        if (out.isEmpty()) {
            throw new LoupeException("the input holds no window of --seq " + seq + " + 1 tokens (files: "
                    + String.join(", ", shards.names()) + "); give a smaller --seq");
        }
        return out;
    }

    private static Iterator<BatchLoss> evaluate(Iterator<Batch> it, ModelHandle model, TokenShards shards, int seq, int vocab,
                                                FaultInjection fault) {
        Gpt gpt = model.gpt();
        List<BatchLoss> out = new ArrayList<>();
        while (it.hasNext()) {
            Batch b = it.next();
            int[] tokens = shards.read(b.shard(), b.first() * seq, b.rows() * seq + 1);
            TokenShards.checkVocabulary(tokens, vocab, shards.names().get(b.shard()));
            int[] inputs = new int[b.rows() * seq], targets = new int[b.rows() * seq];
            for (int r = 0; r < b.rows(); r++) {
                System.arraycopy(tokens, r * seq, inputs, r * seq, seq);
                System.arraycopy(tokens, r * seq + 1, targets, r * seq, seq);
            }
            out.add(new BatchLoss(b.index(), b.shard(), (double) gpt.loss(inputs, targets, b.rows(), seq) * b.rows(), b.rows()));
        }
        fault.maybeFail();
        return out.iterator();
    }

    /** Sums in batch order, as {@link dev.loupe.train.Evaluator} does. */
    static Result combine(List<BatchLoss> losses, TokenShards shards, int seq) {
        double weighted = 0;
        long rows = 0;
        Map<Integer, double[]> perShard = new LinkedHashMap<>();           // shard -> {weighted, rows}
        for (BatchLoss b : losses) {
            weighted += b.weighted();
            rows += b.rows();
            double[] acc = perShard.computeIfAbsent(b.shard(), k -> new double[2]);
            acc[0] += b.weighted();
            acc[1] += b.rows();
        }
        List<ShardLoss> list = new ArrayList<>();
        perShard.forEach((sh, acc) -> list.add(new ShardLoss(shards.names().get(sh), (long) acc[1], (long) acc[1] * seq, acc[0] / acc[1])));
        return new Result(weighted / rows, rows * seq, seq, List.copyOf(list));
    }

    private static void write(SparkSession spark, Result r, Path dir, Settings s) {
        StructType schema = new StructType()
                .add("shard", DataTypes.StringType, false).add("windows", DataTypes.LongType, false)
                .add("tokens", DataTypes.LongType, false).add("loss", DataTypes.DoubleType, false)
                .add("perplexity", DataTypes.DoubleType, false);
        List<org.apache.spark.sql.Row> rows = new ArrayList<>();
        for (ShardLoss l : r.shards()) rows.add(RowFactory.create(l.shard(), l.windows(), l.tokens(), l.loss(), l.perplexity()));
        spark.createDataFrame(rows, schema).coalesce(1).write().parquet(dir.resolve("eval.parquet").toString());
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("job", "eval");
        summary.put("model", s.model().toAbsolutePath().toString());
        summary.put("seq", r.seq());
        summary.put("loss", r.loss());
        summary.put("perplexity", r.perplexity());
        summary.put("tokens", r.tokens());
        summary.put("shards", r.shards());
        JsonOut.write(dir.resolve("summary.json"), summary);
    }
}
