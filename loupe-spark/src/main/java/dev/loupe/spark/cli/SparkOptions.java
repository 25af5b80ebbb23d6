package dev.loupe.spark.cli;

import dev.loupe.cli.UsageException;
import dev.loupe.spark.LoupeSpark;
import dev.loupe.spark.SparkProgress;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The options every {@code loupe spark} job shares: where to run, extra Spark settings, the job jar. */
public final class SparkOptions {
    @Option(names = "--master", defaultValue = "local[*]", paramLabel = "URL",
            description = "Spark master: local[*] (embedded, all cores), local[N], spark://HOST:PORT (a standalone cluster; "
                    + "the job jar is shipped to it), yarn, k8s://... (default: ${DEFAULT-VALUE}).")
    String master;
    @Option(names = "--conf", paramLabel = "KEY=VALUE", description = "A Spark setting, e.g. --conf spark.executor.memory=4g (repeatable).")
    List<String> conf = List.of();
    @Option(names = "--job-jar", paramLabel = "JAR",
            description = "The jar executors load Loupe from (default: the jar this command runs from, target/loupe-spark.jar).")
    Path jobJar;

    /** Runs {@code job} in a session opened with the job's own {@code defaults}, stopped afterwards. */
    public <T> T run(Map<String, String> defaults, java.util.function.Function<SparkSession, T> job) {
        SparkSession session = open(defaults);
        try {
            return job.apply(session);
        } finally {
            session.stop();
        }
    }

    /** Opens the session with a job's own {@code defaults} (a --conf of the same key wins). */
    public SparkSession open(Map<String, String> defaults) {
        Map<String, String> settings = new LinkedHashMap<>(defaults);
        for (String kv : conf) {
            int eq = kv.indexOf('=');
            if (eq <= 0) throw new UsageException("--conf needs KEY=VALUE, got '" + kv + "'");
            settings.put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        List<String> jars = master.startsWith("local") ? List.of() : List.of(jobJar().toString());
        SparkSession spark = LoupeSpark.open(master, jars, settings);
        spark.sparkContext().addSparkListener(new SparkProgress(System.err));
        return spark;
    }

    private Path jobJar() {
        if (jobJar != null) {
            if (!Files.isRegularFile(jobJar)) throw new UsageException("--job-jar " + jobJar + " is not a file");
            return jobJar.toAbsolutePath();
        }
        try {
            Path self = Path.of(SparkOptions.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            if (Files.isRegularFile(self) && self.toString().endsWith(".jar")) return self;
        } catch (Exception e) {
            // fall through to the message below
        }
        throw new UsageException("--master " + master + " needs a job jar to ship to the executors; run through the 'loupe' "
                + "launcher (it builds loupe-spark/target/loupe-spark.jar) or give --job-jar");
    }
}
