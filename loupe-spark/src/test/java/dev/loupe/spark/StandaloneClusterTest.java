package dev.loupe.spark;

import dev.loupe.analysis.stats.ActivationStats;
import dev.loupe.analysis.stats.Binning;
import dev.loupe.model.Gpt;
import dev.loupe.model.io.ModelDirectory;
import dev.loupe.train.Evaluator;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The jobs on a real standalone cluster (Master and Worker processes started here, executors
 * launched by the Worker), submitted with the job jar: the same numbers as on one machine, also
 * when a task fails once and is retried on the cluster. The cluster is torn down even on failure.
 */
class StandaloneClusterTest {
    @Test
    void jobsOnAStandaloneClusterEqualTheSingleMachineNumbers(@TempDir Path tmp) throws Exception {
        Assumptions.assumeTrue(StandaloneCluster.sparkJars() != null,
                "target/spark-classpath.txt is missing: run through Maven (mvn -pl loupe-spark -am test)");
        Path model = Fixtures.model(tmp.resolve("model"));
        int[] a = Fixtures.tokenFile(tmp.resolve("a.bin"), 600, 5);
        Gpt gpt = Gpt.fromWeights(Fixtures.CONFIG, ModelDirectory.read(model).weights());
        Path jar = StandaloneCluster.jobJar(tmp.resolve("loupe-job.jar"));
        try (StandaloneCluster cluster = StandaloneCluster.start(tmp.resolve("cluster"), 2)) {
            SparkSession spark = LoupeSpark.open(cluster.master, List.of(jar.toString()), Map.of(
                    "spark.driver.host", "127.0.0.1", "spark.driver.bindAddress", "127.0.0.1",
                    "spark.executor.memory", "1g", "spark.cores.max", "2"));
            try {
                EvalJob.Result eval = EvalJob.run(spark, new EvalJob.Settings(model, List.of(tmp.resolve("a.bin")), 16, 4, 0),
                        tmp.resolve("eval"), FaultInjection.NONE);
                assertThat(eval.loss()).as(cluster.logs()).isEqualTo(Evaluator.evaluate(gpt, List.of(a), 4, 16, 0).loss());

                ActivationStats.Spec spec = new ActivationStats.Spec("blocks.1.mlp.hook_post", 4, 3, 1, new Binning(-1, 3, 8));
                ActivationStats stats = ActivationStatsJob.run(spark, new ActivationStatsJob.Settings(model, List.of(tmp.resolve("a.bin")),
                        16, spec, 4), tmp.resolve("stats"), new FaultInjection(2));
                ActivationStatsJobTest.assertSame(stats, ActivationStats.compute(gpt, List.of(a), 16, spec));
                assertThat(tmp.resolve("stats/units.json")).exists();
            } finally {
                spark.stop();
            }
        }
    }
}
