package dev.loupe.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.model.io.ModelDirectory;
import dev.loupe.tokens.TokenFile;
import dev.loupe.train.Evaluator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code loupe spark}: exit codes, the printed numbers, and the clear failures. */
class SparkCliTest {
    record Result(int code, String out, String err) {}

    static Result spark(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            return new Result(SparkCli.run(args), out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    static Gpt model(Path dir) {
        GptConfig c = new GptConfig(19, 32, 16, 1, 2, 32, 1e-5f, true, GptConfig.Norm.PRE, GptConfig.Mlp.GELU, GptConfig.Positional.LEARNED);
        Gpt gpt = Gpt.create(c, 3);
        ModelDirectory.write(dir, c, gpt.parameters());
        return gpt;
    }

    @Test
    void evalPrintsTheSingleMachineLossAndActivationStatsWritesUnitsJson(@TempDir Path tmp) throws Exception {
        Gpt gpt = model(tmp.resolve("m"));
        int[] t = new Random(1).ints(500, 0, 19).toArray();
        TokenFile.write(tmp.resolve("d.bin"), t, TokenFile.Format.RAW_UINT16);

        Result r = spark("eval", "--master", "local[2]", "--model", tmp.resolve("m").toString(), "--data", tmp.resolve("d.bin").toString(),
                "--seq", "16", "--out", tmp.resolve("eval").toString());
        assertThat(r.code()).as(r.err()).isZero();
        double expected = Evaluator.evaluate(gpt, List.of(t), 8, 16, 0).loss();
        assertThat(r.out()).contains(String.format("loss %.4f nats/token", expected));
        assertThat(new ObjectMapper().readTree(tmp.resolve("eval/summary.json").toFile()).get("loss").asDouble()).isEqualTo(expected);

        Result s = spark("activation-stats", "--master", "local[2]", "--model", tmp.resolve("m").toString(), "--data",
                tmp.resolve("d.bin").toString(), "--seq", "32", "--hook", "blocks.0.mlp.hook_post", "--k", "3",
                "--out", tmp.resolve("stats").toString());
        assertThat(s.code()).as(s.err()).isZero();
        assertThat(s.out()).contains("32 units over 15 windows of 32 tokens");
        assertThat(new ObjectMapper().readTree(tmp.resolve("stats/units.json").toFile())).hasSize(32);

        Result again = spark("eval", "--master", "local[2]", "--model", tmp.resolve("m").toString(), "--data", tmp.resolve("d.bin").toString(),
                "--out", tmp.resolve("eval").toString());
        assertThat(again.code()).isEqualTo(1);
        assertThat(again.err()).contains("already exists").doesNotContain("\tat ");
    }

    @Test
    void anUnreachableMasterFailsWithinSeconds(@TempDir Path tmp) throws Exception {
        Path jar = Files.writeString(tmp.resolve("job.jar"), "");
        model(tmp.resolve("m"));
        long t0 = System.nanoTime();
        Result r = spark("eval", "--master", "spark://127.0.0.1:1", "--job-jar", jar.toString(), "--model", tmp.resolve("m").toString(), "--data", "d.bin",
                "--out", tmp.resolve("o").toString());
        assertThat((System.nanoTime() - t0) / 1e9).isLessThan(10);
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).startsWith("loupe: cannot reach the Spark master at spark://127.0.0.1:1").doesNotContain("\tat ");
        assertThat(tmp.resolve("o")).doesNotExist();
    }

    @Test
    void aClusterMasterWithoutAJobJarIsBadUsage(@TempDir Path tmp) {
        model(tmp.resolve("m"));
        Result r = spark("eval", "--master", "spark://127.0.0.1:1", "--model", tmp.resolve("m").toString(), "--data", "d.bin",
                "--out", tmp.resolve("o").toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("needs a job jar");
        assertThat(spark("--help").out()).contains("activation-stats").contains("eval");
        assertThat(spark("activation-stats", "--help").out().replaceAll("\\s+", " ")).contains("a shorter tail is dropped");
    }
}
