package dev.loupe.spark;

import dev.loupe.LoupeException;
import dev.loupe.tokens.CharTokenizer;
import dev.loupe.tokens.TokenFile;
import dev.loupe.tokens.Tokenizer;
import dev.loupe.tokens.Tokenizers;
import dev.loupe.train.TokenData;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * {@code loupe spark sweep}: trains every configuration of a {@link SweepGrid} on the same data,
 * one Spark task per configuration (give {@code spark.task.cpus} = the threads each training uses),
 * each writing its model directory, {@code history.json} and loss chart under {@code runs/NAME};
 * then {@code sweep.parquet}, {@code summary.json} and {@code sweep.png} (final validation loss
 * against the swept variable, seeds as error bars), see {@link SweepSummary}.
 */
public final class SweepJob {
    private SweepJob() {}

    /**
     * A sweep.
     *
     * @param data      a text file (character tokenizer, as {@code loupe train} builds by default) or a .bin token file; the last 10 % is held out
     * @param grid      the configurations
     * @param defaults  values of keys the grid does not set
     * @param seq       context T
     * @param batch     rows per step B
     * @param evalEvery validation every this many steps (and at the end)
     */
    public record Settings(Path data, SweepGrid grid, Map<String, String> defaults, int seq, int batch, int evalEvery) {}

    /** Runs the sweep; the outcomes in grid order. */
    public static List<SweepRun.Outcome> run(SparkSession spark, Settings s, Path out, FaultInjection fault) {
        if (!Files.isRegularFile(s.data())) throw new LoupeException("data " + s.data() + " does not exist or is not a file");
        Tokenizer tokenizer = null;
        int[] tokens;
        if (s.data().getFileName().toString().endsWith(".bin")) {
            tokens = TokenFile.readAll(s.data());
        } else {
            String text;
            try {
                text = Files.readString(s.data(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new LoupeException("cannot read " + s.data() + " as UTF-8 text: " + e.getMessage(), e);
            }
            tokenizer = CharTokenizer.fromCorpus(text);
            tokens = tokenizer.encode(text);
        }
        if (tokens.length < 10 * (s.seq() + 1)) {
            throw new LoupeException(s.data() + " holds " + tokens.length + " tokens: too few for windows of --seq " + s.seq());
        }
        int vocab = Arrays.stream(tokens).max().getAsInt() + 1;
        SweepRun run = new SweepRun(s.defaults(), vocab, s.seq(), s.batch(), s.evalEvery());
        List<Map<String, String>> configs = s.grid().configurations();
        for (Map<String, String> c : configs) run.config(c);                  // every configuration is valid before any trains
        TokenData split = TokenData.split(tokens);
        try (StagedOutput staged = StagedOutput.create(out)) {
            Path tokDir = staged.dir().resolve("tokenizer");
            if (tokenizer != null) Tokenizers.save(tokenizer, tokDir);
            String tokPath = tokenizer == null ? null : tokDir.toString();
            String runs = staged.dir().resolve("runs").toString();
            JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
            Broadcast<int[]> train = sc.broadcast(split.train().getFirst()), val = sc.broadcast(split.val().getFirst());
            List<SweepRun.Outcome> outcomes;
            try {
                outcomes = new ArrayList<>(sc.parallelize(configs, configs.size()).map(conf -> {
                    Tokenizer t = tokPath == null ? null : Tokenizers.require(Path.of(tokPath));
                    TokenData data = new TokenData(List.of(train.value()), List.of(val.value()));
                    SweepRun.Outcome o = run.train(conf, data, t, Path.of(runs, SweepGrid.name(conf)));
                    fault.maybeFail();
                    return o;
                }).collect());
            } catch (Exception e) {      // SparkException is checked, thrown undeclared
                throw SparkFailures.explain(e);
            }
            SweepSummary.write(spark, s, outcomes, staged.dir());
            staged.commit();
            return outcomes;
        }
    }
}
