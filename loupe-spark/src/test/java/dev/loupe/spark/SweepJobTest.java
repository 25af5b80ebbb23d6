package dev.loupe.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.loupe.LoupeException;
import dev.loupe.tokens.CharTokenizer;
import dev.loupe.train.TokenData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * {@code spark sweep} in local[2]: one run per grid point, each equal to the same training done
 * directly (same seed, same data split), files per run, and the per-value mean ± std over seeds.
 */
class SweepJobTest extends LocalSpark {
    static String text() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 300; i++) sb.append("the cat sat on the mat. ").append(i % 7 == 0 ? "a dog ran.\n" : "");
        return sb.toString();
    }

    @Test
    void everyGridPointTrainsOnceAndTheSummaryAveragesSeeds(@TempDir Path tmp) throws Exception {
        Path data = Files.writeString(tmp.resolve("corpus.txt"), text());
        SweepGrid grid = SweepGrid.parse(List.of("heads=1,2", "d_model=8", "seed=1,2"));
        Map<String, String> defaults = Map.of("layers", "1", "steps", "6", "lr", "1e-2", "heads", "4", "d_model", "16", "seed", "0");
        SweepJob.Settings s = new SweepJob.Settings(data, grid, defaults, 16, 4, 3);
        List<SweepRun.Outcome> outcomes = SweepJob.run(spark, s, tmp.resolve("out"), new FaultInjection(1));
        assertThat(outcomes).hasSize(4);
        assertThat(outcomes.get(2).configuration()).containsEntry("heads", "2").containsEntry("seed", "1");

        // the same run done directly: identical final losses (same seed, data, thread count)
        CharTokenizer tok = CharTokenizer.fromCorpus(text());
        int[] tokens = tok.encode(text());
        int vocab = java.util.Arrays.stream(tokens).max().getAsInt() + 1;
        SweepRun direct = new SweepRun(defaults, vocab, 16, 4, 3);
        SweepRun.Outcome again = direct.train(outcomes.get(2).configuration(), TokenData.split(tokens), tok, tmp.resolve("direct"));
        assertThat(outcomes.get(2).finalValLoss()).isEqualTo(again.finalValLoss());
        assertThat(outcomes.get(2).finalTrainLoss()).isEqualTo(again.finalTrainLoss());

        Path run = tmp.resolve("out/runs/heads=2,d_model=8,seed=1");
        for (String f : List.of("config.json", "model.safetensors", "tokenizer.json", "history.json", "loss.png")) {
            assertThat(run.resolve(f)).exists();
        }
        JsonNode history = new ObjectMapper().readTree(run.resolve("history.json").toFile());
        assertThat(history.get("steps")).hasSize(6);
        assertThat(history.get("evals")).hasSize(2);
        assertThat(tmp.resolve("out/sweep.png")).isNotEmptyFile();
        assertThat(spark.read().parquet(tmp.resolve("out/sweep.parquet").toString()).count()).isEqualTo(4);

        List<SweepSummary.Point> points = SweepSummary.points(grid, outcomes);
        assertThat(points).hasSize(2);
        double a = outcomes.get(0).finalValLoss(), b = outcomes.get(1).finalValLoss();
        assertThat(points.getFirst().x()).isEqualTo(1);
        assertThat(points.getFirst().mean()).isCloseTo((a + b) / 2, within(1e-12));
        assertThat(points.getFirst().std()).isCloseTo(Math.abs(a - b) / Math.sqrt(2), within(1e-12));
        JsonNode summary = new ObjectMapper().readTree(tmp.resolve("out/summary.json").toFile());
        assertThat(summary.get("swept").asText()).isEqualTo("heads");
        assertThat(summary.get("runs")).hasSize(4);
    }

    @Test
    void aBadGridFailsBeforeAnyTraining(@TempDir Path tmp) throws Exception {
        Path data = Files.writeString(tmp.resolve("corpus.txt"), text());
        assertThatThrownBy(() -> SweepGrid.parse(List.of("width=3"))).hasMessageContaining("width=3");
        assertThatThrownBy(() -> SweepGrid.parse(List.of("heads=two"))).hasMessageContaining("'two'");
        SweepGrid grid = SweepGrid.parse(List.of("heads=3", "d_model=8"));
        assertThatThrownBy(() -> SweepJob.run(spark, new SweepJob.Settings(data, grid, Map.of("layers", "1", "steps", "2", "lr", "1e-3",
                "seed", "1"), 16, 4, 1), tmp.resolve("out"), FaultInjection.NONE))
                .isInstanceOf(LoupeException.class).hasMessageContaining("not divisible");
        assertThat(tmp.resolve("out")).doesNotExist();
    }
}
