package dev.loupe.spark;

import dev.loupe.LoupeException;
import org.apache.spark.sql.SparkSession;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.util.List;
import java.util.Map;

/**
 * Opens the Spark session a Loupe job runs in. Local masters ({@code local[*]}, {@code local[2]})
 * run embedded, bound to 127.0.0.1 with no web UI. For a cluster master ({@code spark://h:p}) the
 * master is first probed with a plain TCP connection (an unreachable one is a one-line error within
 * seconds, not Spark's minute of retries), the executors get the JVM flags Loupe needs (the Vector
 * API module) and {@code jobJars} (Loupe's job jar) are shipped to them.
 */
public final class LoupeSpark {
    /** JVM options every executor needs: Loupe's kernels use the incubating Vector API. */
    public static final String EXECUTOR_FLAGS =
            "--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow";

    private LoupeSpark() {}

    /**
     * A session on {@code master}; {@code conf} entries are set last (they win). A local master
     * needs no jars; a cluster master needs the job jar in {@code jobJars}.
     */
    public static SparkSession open(String master, List<String> jobJars, Map<String, String> conf) {
        SparkSession.Builder b = SparkSession.builder().appName("loupe").master(master)
                .config("spark.ui.enabled", "false")
                .config("spark.ui.showConsoleProgress", "false")
                .config("spark.sql.shuffle.partitions", "8")
                .config("spark.executor.extraJavaOptions", EXECUTOR_FLAGS);
        if (master.startsWith("local")) {
            b.config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1");
        } else {
            if (master.startsWith("spark://")) probe(master);
            if (!jobJars.isEmpty()) b.config("spark.jars", String.join(",", jobJars));
        }
        conf.forEach(b::config);
        return b.getOrCreate();
    }

    /** Connects to every host:port of a {@code spark://} URL, failing within 3 s per master with a clear line. */
    static void probe(String master) {
        for (String hostPort : master.substring("spark://".length()).split(",")) {
            URI u = URI.create("spark://" + hostPort);
            if (u.getHost() == null || u.getPort() < 0) {
                throw new LoupeException("master URL " + master + " is not spark://HOST:PORT");
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(u.getHost(), u.getPort()), 3000);
            } catch (IOException e) {
                throw new LoupeException("cannot reach the Spark master at " + master + " (" + e.getMessage()
                        + "); is it running? Start one with 'spark-class org.apache.spark.deploy.master.Master'");
            }
        }
    }
}
