package dev.loupe.spark;

import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.model.io.ModelDirectory;
import dev.loupe.tokens.TokenFile;
import org.apache.spark.sql.SparkSession;

import java.nio.file.Path;
import java.util.Map;
import java.util.Random;

/** A tiny model directory, token files and a local Spark session for the job tests. */
final class Fixtures {
    static final GptConfig CONFIG = new GptConfig(23, 32, 16, 2, 4, 32, 1e-5f, true, GptConfig.Norm.PRE, GptConfig.Mlp.GELU,
            GptConfig.Positional.LEARNED);

    private Fixtures() {}

    /** Writes a random model (fixed seed) into {@code dir}. */
    static Path model(Path dir) {
        Gpt gpt = Gpt.create(CONFIG, 7);
        ModelDirectory.write(dir, CONFIG, gpt.parameters());
        return dir;
    }

    /** Random token ids below the vocabulary, written as an llm.c token file. */
    static int[] tokenFile(Path file, int n, long seed) {
        Random r = new Random(seed);
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = r.nextInt(CONFIG.vocabSize());
        TokenFile.write(file, t, TokenFile.Format.LLMC);
        return t;
    }

    /**
     * An embedded session of {@code cores} threads that retries a failed task (local[N, 2]; plain
     * local[N] gives up on the first failure).
     */
    static SparkSession local(int cores) {
        return LoupeSpark.open("local[" + cores + ",2]", java.util.List.of(), Map.of());
    }
}
