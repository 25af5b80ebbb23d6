package dev.loupe.spark;

import dev.loupe.LoupeException;
import dev.loupe.tokens.TokenFile;
import dev.loupe.tokens.Tokenizers;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import scala.Tuple2;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Text inputs of a job: read by Spark ({@code wholeTextFiles}: one record per file) and tokenized on
 * the executors with the model's tokenizer, the whole file at once as {@code loupe eval} tokenizes
 * it, into llm.c token files in a scratch directory (which every executor must be able to write at
 * the same path, like the output). Token files (.bin) pass through untouched.
 */
final class TextShards {
    private TextShards() {}

    /** The token files for {@code inputs} (text replaced by its tokens under {@code scratch}), named after the inputs. */
    static TokenShards tokenize(SparkSession spark, ModelHandle model, List<Path> inputs, Path scratch) {
        List<Path> files = new ArrayList<>();
        List<String> names = new ArrayList<>();
        Map<String, Integer> text = new HashMap<>();                       // absolute path -> input index
        for (int i = 0; i < inputs.size(); i++) {
            Path p = inputs.get(i).toAbsolutePath().normalize();
            names.add(p.toString());
            files.add(p);
            if (p.getFileName().toString().endsWith(".bin")) continue;
            if (!Files.isRegularFile(p)) throw new LoupeException("input " + p + " does not exist or is not a file");
            text.put(p.toString(), i);
            files.set(i, scratch.resolve(i + ".bin"));
        }
        if (text.isEmpty()) return TokenShards.of(files, names);
        try {
            Files.createDirectories(scratch);
        } catch (java.io.IOException e) {
            throw new LoupeException("cannot create " + scratch + ": " + e.getMessage(), e);
        }
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        String dir = scratch.toString(), modelDir = model.path();
        Map<String, Integer> index = Map.copyOf(text);
        List<Tuple2<String, Integer>> counts;
        try {
            counts = sc.wholeTextFiles(String.join(",", text.keySet().stream().map(p -> Path.of(p).toUri().toString()).toList()),
                            Math.min(text.size(), sc.defaultParallelism() * 2))
                    .map(file -> {
                        String path = Path.of(URI.create(file._1())).toString();
                        Integer i = index.get(path);
                        if (i == null) throw new LoupeException("Spark read an unexpected file " + file._1());
                        int[] tokens = Tokenizers.require(Path.of(modelDir)).encode(file._2());
                        TokenFile.write(Path.of(dir, i + ".bin"), tokens, TokenFile.Format.LLMC);
                        return new Tuple2<>(path, tokens.length);
                    }).collect();
        } catch (Exception e) {      // SparkException is checked, thrown undeclared
            throw SparkFailures.explain(e);
        }
        Map<String, Integer> seen = new HashMap<>();
        for (Tuple2<String, Integer> c : counts) seen.put(c._1(), c._2());
        for (String p : text.keySet()) {
            if (seen.getOrDefault(p, 0) == 0) throw new LoupeException("text file " + p + " is empty: it holds no tokens");
        }
        return TokenShards.of(files, names);
    }
}
