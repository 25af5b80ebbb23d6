package dev.loupe.spark;

import java.io.IOException;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

/**
 * A real Spark standalone cluster for tests: a Master and a Worker, each its own {@code java}
 * process on 127.0.0.1 started from Spark's own classes ({@code org.apache.spark.deploy.master.Master},
 * {@code org.apache.spark.deploy.worker.Worker}) with Spark's jars only (the build lists them in
 * {@code target/spark-classpath.txt}). The Worker launches executors from a SPARK_HOME whose
 * {@code jars/} links those jars, so Loupe reaches the executors only through the job jar.
 * {@link #close} kills both processes (and their executors).
 */
final class StandaloneCluster implements AutoCloseable {
    private final List<Process> processes = new ArrayList<>();
    private final Path dir;
    final String master;
    private final int masterUi;

    private StandaloneCluster(Path dir, int port, int masterUi) {
        this.dir = dir;
        this.master = "spark://127.0.0.1:" + port;
        this.masterUi = masterUi;
    }

    /**
     * Spark's jars, or null when the build has not listed them (run through Maven). Spark's Jackson
     * is not in the 'provided' list, since Loupe depends on Jackson directly: it is taken from the
     * run-time list, as a Spark distribution ships it.
     */
    static List<String> sparkJars() throws IOException {
        Path list = Path.of("target/spark-classpath.txt"), job = Path.of("target/job-classpath.txt");
        if (!Files.isRegularFile(list) || !Files.isRegularFile(job)) return null;
        List<String> jars = new ArrayList<>(List.of(Files.readString(list).strip().split(java.io.File.pathSeparator)));
        for (String j : Files.readString(job).strip().split(java.io.File.pathSeparator)) {
            if (j.replace('\\', '/').contains("/com/fasterxml/jackson/")) jars.add(j);
        }
        return jars;
    }

    /** Starts a Master and one Worker of {@code cores} cores; waits until the worker has registered. */
    static StandaloneCluster start(Path dir, int cores) throws Exception {
        List<String> jars = sparkJars();
        Path home = dir.resolve("spark-home");
        Files.createDirectories(home.resolve("jars"));
        for (String j : jars) {
            Path jar = Path.of(j);
            Path link = home.resolve("jars").resolve(jar.getFileName());
            if (!Files.exists(link)) Files.createSymbolicLink(link, jar);
        }
        StandaloneCluster c = new StandaloneCluster(dir, freePort(), freePort());
        try {
            String cp = String.join(java.io.File.pathSeparator, jars);
            c.launch("master", cp, home, "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
                    "--port", c.master.substring(c.master.lastIndexOf(':') + 1), "--webui-port", Integer.toString(c.masterUi));
            c.launch("worker", cp, home, "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1",
                    "--webui-port", Integer.toString(freePort()), "--cores", Integer.toString(cores), "--memory", "2g",
                    "--work-dir", dir.resolve("work").toString(), c.master);
            c.awaitWorker();
            return c;
        } catch (Exception | AssertionError e) {
            c.close();
            throw e;
        }
    }

    private void launch(String name, String cp, Path home, String main, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--sun-misc-unsafe-memory-access=allow", "--enable-native-access=ALL-UNNAMED", "-Xmx512m", "-cp", cp, main));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve(name + ".log").toFile());
        pb.environment().put("SPARK_HOME", home.toString());
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        pb.environment().put("SPARK_SCALA_VERSION", "2.13");
        processes.add(pb.start());
    }

    private void awaitWorker() throws Exception {
        long deadline = System.nanoTime() + 90_000_000_000L;
        while (System.nanoTime() < deadline) {
            for (Process p : processes) {
                if (!p.isAlive()) throw new AssertionError("a cluster process exited early:\n" + logs());
            }
            try {
                HttpURLConnection http = (HttpURLConnection) URI.create("http://127.0.0.1:" + masterUi + "/json").toURL().openConnection();
                http.setConnectTimeout(1000);
                http.setReadTimeout(2000);
                String json = new String(http.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (json.matches("(?s).*\"aliveworkers\"\\s*:\\s*[1-9].*")) return;
            } catch (IOException notYet) {
                // the master's UI is not up yet
            }
            Thread.sleep(300);
        }
        throw new AssertionError("the worker did not register within 90 s:\n" + logs());
    }

    /** The last lines of the master's and worker's logs, for failure messages. */
    String logs() {
        StringBuilder sb = new StringBuilder();
        for (String name : new String[] {"master", "worker"}) {
            try {
                List<String> lines = Files.readAllLines(dir.resolve(name + ".log"));
                sb.append("--- ").append(name).append(" ---\n")
                        .append(String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()))).append('\n');
            } catch (IOException e) {
                sb.append("(no ").append(name).append(" log)\n");
            }
        }
        return sb.toString();
    }

    @Override
    public void close() {
        for (Process p : processes) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        for (Process p : processes) {
            try {
                p.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /**
     * The job jar: target/loupe-spark.jar when the build made it after the last compile, else the same
     * content (Loupe's classes and libraries without Spark, from target/job-classpath.txt) merged into
     * {@code out}, first entry wins, as the shade plugin does.
     */
    static Path jobJar(Path out) throws IOException {
        Path shaded = Path.of("target/loupe-spark.jar"), classes = Path.of("target/classes");
        if (Files.isRegularFile(shaded) && Files.getLastModifiedTime(shaded).compareTo(Files.getLastModifiedTime(classes)) > 0) {
            return shaded.toAbsolutePath();
        }
        List<Path> parts = new ArrayList<>(List.of(classes));
        for (String e : Files.readString(Path.of("target/job-classpath.txt")).strip().split(java.io.File.pathSeparator)) parts.add(Path.of(e));
        Set<String> seen = new HashSet<>();
        try (JarOutputStream jar = new JarOutputStream(Files.newOutputStream(out))) {
            for (Path part : parts) {
                if (Files.isDirectory(part)) {
                    try (Stream<Path> files = Files.walk(part)) {
                        for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile).sorted()::iterator) {
                            add(jar, seen, part.relativize(f).toString().replace('\\', '/'), Files.readAllBytes(f));
                        }
                    }
                } else {
                    try (JarFile jf = new JarFile(part.toFile())) {
                        for (JarEntry e : java.util.Collections.list(jf.entries())) {
                            if (e.isDirectory()) continue;
                            add(jar, seen, e.getName(), jf.getInputStream(e).readAllBytes());
                        }
                    }
                }
            }
        }
        return out;
    }

    private static void add(JarOutputStream jar, Set<String> seen, String name, byte[] bytes) throws IOException {
        if (name.matches("META-INF/.*\\.(SF|DSA|RSA)") || name.endsWith("module-info.class") || !seen.add(name)) return;
        jar.putNextEntry(new JarEntry(name));
        OutputStream o = jar;
        o.write(bytes);
        jar.closeEntry();
    }
}
