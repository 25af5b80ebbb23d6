package dev.loupe.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class TrainBenchCommandTest {
    /** Runs the command with {@code args} and returns its JSON output (exit code 0 asserted). */
    static JsonNode runJson(String... args) throws Exception {
        PrintStream old = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true));
        int code;
        try {
            code = new CommandLine(new TrainBenchCommand()).execute(args);
        } finally {
            System.setOut(old);
        }
        assertThat(code).isZero();
        return new ObjectMapper().readTree(out.toString());
    }

    @Test
    void reportsMedianStepTimeAsJson() throws Exception {
        JsonNode root = runJson("--no-torch", "--batch", "1", "--seq", "4", "--json");
        assertThat(root.get("torch").asText()).contains("--no-torch");
        JsonNode r = root.get("results").get(0);
        assertThat(r.get("config").asText()).isEqualTo("small");
        assertThat(r.get("loupe_ms_per_step").asDouble()).isPositive();
        assertThat(r.get("loupe_tokens_per_s").asDouble())
                .isCloseTo(4 / (r.get("loupe_ms_per_step").asDouble() / 1000), org.assertj.core.data.Percentage.withPercentage(1e-6));
    }

    @Test
    void timesEachAttentionKindBesideSoftmaxInTheSameRun() throws Exception {
        JsonNode results = runJson("--no-torch", "--batch", "1", "--seq", "4", "--json", "--attention", "softmax,linear,least_squares")
                .get("results");
        assertThat(results).hasSize(3);
        assertThat(results.get(0).get("attention").asText()).isEqualTo("softmax");
        assertThat(results.get(0).has("speed_vs_softmax")).isFalse();
        for (int i = 1; i < 3; i++) {
            JsonNode r = results.get(i);
            assertThat(r.get("attention").asText()).isEqualTo(i == 1 ? "linear" : "least_squares");
            assertThat(r.get("speed_vs_softmax").asDouble())
                    .isCloseTo(results.get(0).get("loupe_ms_per_step").asDouble() / r.get("loupe_ms_per_step").asDouble(),
                            org.assertj.core.data.Percentage.withPercentage(1e-6));
        }
        assertThat(dev.loupe.cli.MainTest.run("bench", "train", "--attention", "sparse").code()).isEqualTo(2);
    }

    /** --moe adds a mixture row of the same active width: its speed against dense, its load and its parameters. */
    @Test
    void timesAMixtureBesideTheDenseModelOfTheSameActiveParameters() throws Exception {
        JsonNode results = runJson("--no-torch", "--batch", "1", "--seq", "8", "--vocab", "64", "--json", "--moe").get("results");
        assertThat(results).hasSize(2);
        JsonNode dense = results.get(0), moe = results.get(1);
        assertThat(moe.get("attention").asText()).isEqualTo("moe E8 top-2");
        assertThat(moe.get("moe").asText()).isEqualTo("8 experts, top-2, d_expert 512");
        assertThat(moe.get("speed_vs_dense").asDouble()).isCloseTo(dense.get("loupe_ms_per_step").asDouble()
                / moe.get("loupe_ms_per_step").asDouble(), org.assertj.core.data.Percentage.withPercentage(1e-6));
        // 8 experts of half the dense width: about 4× the MLP parameters, the same active width
        assertThat(moe.get("parameters").asLong()).isGreaterThan(moe.get("dense_parameters").asLong());
        assertThat(moe.get("load_cv").asDouble()).isBetween(0.0, Math.sqrt(7));   // CV of 8 counts is at most √(E − 1)
        assertThat(TrainBenchCommand.coefficientOfVariation(new int[] {2, 2, 2, 2})).isZero();
        assertThat(TrainBenchCommand.coefficientOfVariation(new int[] {8, 0, 0, 0})).isCloseTo(Math.sqrt(3), org.assertj.core.data.Offset.offset(1e-12));
    }

    @Test
    void shapesGiveBatchAndSequencePairsMeasuredSmallestFirst() throws Exception {
        // 1×5 needs less memory than 2×3 (5 against 6 rows of logits), so it runs first: after a larger
        // configuration the JVM keeps that one's heap, and a smaller one's peak RSS would be the larger one's
        JsonNode results = runJson("--no-torch", "--shape", "2x3,1×5", "--json").get("results");
        assertThat(results).hasSize(2);
        assertThat(results.get(0).get("batch").asInt()).isEqualTo(1);
        assertThat(results.get(0).get("seq").asInt()).isEqualTo(5);
        assertThat(results.get(1).get("batch").asInt()).isEqualTo(2);
        assertThat(results.get(1).get("seq").asInt()).isEqualTo(3);
        assertThat(results.get(0).get("loupe_tokens_per_s").asDouble())
                .isCloseTo(5 / (results.get(0).get("loupe_ms_per_step").asDouble() / 1000), org.assertj.core.data.Percentage.withPercentage(1e-6));
        var bad = dev.loupe.cli.MainTest.run("bench", "train", "--no-torch", "--shape", "4by256");
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err()).contains("--shape takes BxT pairs");
    }

    @Test
    void medianOfOddAndEvenCounts() {
        assertThat(TrainBenchCommand.median(List.of(5.0, 1.0, 3.0))).isEqualTo(3.0);
        assertThat(TrainBenchCommand.median(List.of(4.0, 1.0, 3.0, 2.0))).isEqualTo(2.5);
    }
}
