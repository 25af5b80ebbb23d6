package dev.loupe.experiments;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The programs in {@code examples/} compile and run as the README says — single-file source launch,
 * {@code java --add-modules jdk.incubator.vector -cp CLASSPATH examples/NAME.java ARGS} — against this
 * build's classes: the experiment first (short), then the two that load the model it saved.
 */
class ExamplesTest {
    static final Path EXAMPLES = Path.of("..", "examples");

    record Run(int code, String out, String err) {}

    static Run run(Path tmp, String example, String... args) throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-Djava.awt.headless=true", "-cp", System.getProperty("java.class.path"), EXAMPLES.resolve(example).toString()));
        cmd.addAll(List.of(args));
        Path err = tmp.resolve(example + ".err");
        Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(300, TimeUnit.SECONDS)).as(example + " finished").isTrue();
        return new Run(p.exitValue(), new String(out), Files.readString(err));
    }

    @Test
    void everyExampleCompilesAndRuns(@TempDir Path tmp) throws Exception {
        try (var files = Files.list(EXAMPLES)) {
            assertThat(files.map(f -> f.getFileName().toString()).filter(f -> f.endsWith(".java")).sorted().toList())
                    .as("examples this test runs").containsExactly("AblateHead.java", "RunExperiment.java", "RunWithCache.java");
        }
        Path out = tmp.resolve("induction");
        Run experiment = run(tmp, "RunExperiment.java", out.toString(), "200");
        assertThat(experiment.code()).as(experiment.err()).isZero();
        assertThat(experiment.out()).contains("induction head L1H", "K-composition", "baseline standard deviations");
        assertThat(experiment.err()).contains("induction: training a 2-layer");
        assertThat(out.resolve("model/config.json")).exists();
        assertThat(out.resolve("report.json")).exists();

        Run cache = run(tmp, "RunWithCache.java", out.resolve("model").toString());
        assertThat(cache.code()).as(cache.err()).isZero();
        assertThat(cache.out()).contains("blocks.1.attn.hook_pattern", "[1, 2, 32, 32]", "layer 1 head 0: from position 31");

        Run ablate = run(tmp, "AblateHead.java", out.resolve("model").toString());
        assertThat(ablate.code()).as(ablate.err()).isZero();
        assertThat(ablate.out()).contains("loss on repeated random tokens", "layer 0 head 1 mean-ablated", "layer 1 head 1 mean-ablated");
    }
}
