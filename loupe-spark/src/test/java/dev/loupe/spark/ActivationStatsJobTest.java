package dev.loupe.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.loupe.analysis.stats.ActivationStats;
import dev.loupe.analysis.stats.Binning;
import dev.loupe.analysis.stats.TopExample;
import dev.loupe.analysis.stats.UnitStats;
import dev.loupe.model.Gpt;
import dev.loupe.model.io.ModelDirectory;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code spark activation-stats} in local[2] against {@link ActivationStats#compute} on the same
 * input: every number equal (bit for bit), for several splits into tasks and with a task that fails
 * once; the files hold the same numbers.
 */
class ActivationStatsJobTest extends LocalSpark {
    static void assertSame(ActivationStats a, ActivationStats b) {
        assertThat(a.units()).isEqualTo(b.units());
        assertThat(a.windows()).isEqualTo(b.windows());
        for (int u = 0; u < a.units(); u++) {
            UnitStats x = a.unit(u), y = b.unit(u);
            assertThat(x.count()).isEqualTo(y.count());
            assertThat(x.mean()).as("mean of unit %d", u).isEqualTo(y.mean());
            assertThat(x.variance()).as("variance of unit %d", u).isEqualTo(y.variance());
            assertThat(x.max()).isEqualTo(y.max());
            assertThat(x.frequency()).isEqualTo(y.frequency());
            assertThat(x.histogram()).isEqualTo(y.histogram());
            assertThat(x.top()).hasSameSizeAs(y.top());
            for (int i = 0; i < x.top().size(); i++) {
                TopExample e = x.top().get(i), f = y.top().get(i);
                assertThat(e.position()).isEqualTo(f.position());
                assertThat(e.value()).isEqualTo(f.value());
                assertThat(e.tokens()).isEqualTo(f.tokens());
                assertThat(e.values()).isEqualTo(f.values());
            }
        }
    }

    @Test
    void equalsTheSingleMachinePathHoweverSplitAndRetried(@TempDir Path tmp) throws Exception {
        Path model = Fixtures.model(tmp.resolve("model"));
        int[] a = Fixtures.tokenFile(tmp.resolve("a.bin"), 403, 1);    // 25 windows of 16, tail 3 dropped
        int[] b = Fixtures.tokenFile(tmp.resolve("b.bin"), 120, 2);    // 7 windows
        Gpt gpt = Gpt.fromWeights(Fixtures.CONFIG, ModelDirectory.read(model).weights());
        List<Path> data = List.of(tmp.resolve("a.bin"), tmp.resolve("b.bin"));
        int loadsBefore = ModelHandle.loads();
        for (String hook : List.of("blocks.1.mlp.hook_post", "blocks.0.attn.hook_z")) {
            ActivationStats.Spec spec = new ActivationStats.Spec(hook, 5, 3, 2, new Binning(-2, 2, 16));
            ActivationStats single = ActivationStats.compute(gpt, List.of(a, b), 16, spec);
            int run = 0;
            for (int partitions : new int[] {1, 3, 7}) {
                FaultInjection fault = partitions == 3 ? new FaultInjection(1) : FaultInjection.NONE;
                Path out = tmp.resolve("out-" + hook + "-" + run++);
                ActivationStats spark = ActivationStatsJob.run(LocalSpark.spark,
                        new ActivationStatsJob.Settings(model, data, 16, spec, partitions), out, fault);
                assertSame(spark, single);
            }
            assertThat(ModelHandle.loads() - loadsBefore).as("weights read once per executor JVM, not per task").isEqualTo(1);
            Path out = tmp.resolve("out-" + hook + "-0");
            JsonNode units = new ObjectMapper().readTree(out.resolve("units.json").toFile());
            assertThat(units).hasSize(single.units());
            List<String> keys = new java.util.ArrayList<>();
            units.get(0).fieldNames().forEachRemaining(keys::add);
            assertThat(keys).containsExactly("unit", "mean", "variance", "max", "frequency", "top");
            assertThat(units.get(2).get("mean").asDouble()).isEqualTo(single.unit(2).mean());
            assertThat(units.get(2).get("top").get(0).get("position").asLong()).isEqualTo(single.unit(2).top().getFirst().position());
            List<Row> rows = LocalSpark.spark.read().parquet(out.resolve("units.parquet").toString()).orderBy("unit").collectAsList();
            assertThat(rows).hasSize(single.units());
            assertThat(rows.get(1).getDouble(rows.get(1).fieldIndex("variance"))).isEqualTo(single.unit(1).variance());
            assertThat(rows.get(1).getList(rows.get(1).fieldIndex("top"))).hasSize(5);
            String html = java.nio.file.Files.readString(out.resolve("report.html"));
            int best = java.util.stream.IntStream.range(0, single.units()).boxed()
                    .max(java.util.Comparator.comparingDouble((Integer u) -> single.unit(u).max())).orElseThrow();
            assertThat(html).contains("id=\"unit-" + best + "\"").contains("class=\"t top\"").contains(hook);
        }
    }

    @Test
    void anUnknownHookOrUnreadableModelFailsClearly(@TempDir Path tmp) {
        Path model = Fixtures.model(tmp.resolve("model"));
        Fixtures.tokenFile(tmp.resolve("a.bin"), 100, 1);
        ActivationStats.Spec spec = new ActivationStats.Spec("blocks.7.mlp.hook_post", 5, 3, 2, Binning.standard());
        assertThatThrownBy(() -> ActivationStatsJob.run(spark, new ActivationStatsJob.Settings(model, List.of(tmp.resolve("a.bin")), 16, spec, 0),
                tmp.resolve("out"), FaultInjection.NONE)).hasMessageContaining("blocks.7.mlp.hook_post");
        assertThat(tmp.resolve("out")).doesNotExist();
        // an executor that cannot read the model: the executor's message, naming the path, reaches the driver
        ModelHandle missing = new ModelHandle(tmp.resolve("elsewhere").toString(), 42);
        assertThatThrownBy(() -> {
            try {
                new org.apache.spark.api.java.JavaSparkContext(spark.sparkContext()).parallelize(List.of(1), 1)
                        .map(i -> missing.gpt().config().nLayer()).collect();
            } catch (Exception e) {      // SparkException is checked, thrown undeclared
                throw SparkFailures.explain(e);
            }
        }).hasMessageStartingWith("cannot read model file " + tmp.resolve("elsewhere"))
                .hasMessageContaining("on executor");
    }
}
