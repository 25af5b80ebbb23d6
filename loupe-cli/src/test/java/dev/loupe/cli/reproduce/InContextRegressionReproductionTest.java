package dev.loupe.cli.reproduce;

import dev.loupe.cli.MainTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code loupe reproduce in-context-regression} on a tiny setting: the files, the summary, progress lines, bad flags. */
class InContextRegressionReproductionTest {
    @Test
    void writesTheReportAndSummarises(@TempDir Path dir) {
        Path out = dir.resolve("icl");
        MainTest.Result r = MainTest.run("reproduce", "in-context-regression", "--out", out.toString(), "--steps", "20",
                "--n-max", "3", "--eval-tasks", "10", "--stack-layers", "2");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(out.resolve("report.json")).exists();
        assertThat(out.resolve("report.html")).exists();
        assertThat(out.resolve("mse.png")).exists();
        assertThat(r.out()).contains("linear_1l vs GD-1: mean cosine").contains("least_squares_1l").contains("ridge");
        assertThat(r.err()).contains("in-context-regression: training linear_1l").contains("evaluating held-out tasks");
    }

    @Test
    void badFlagsAreUsageErrors(@TempDir Path dir) {
        for (String[] bad : new String[][] {{"--stack-layers", "7"}, {"--steps", "3"}, {"--n-max", "0"}}) {
            String[] args = new String[4 + bad.length];
            args[0] = "reproduce";
            args[1] = "in-context-regression";
            args[2] = "--out";
            args[3] = dir.resolve("x").toString();
            System.arraycopy(bad, 0, args, 4, bad.length);
            MainTest.Result r = MainTest.run(args);
            assertThat(r.code()).as(String.join(" ", bad)).isEqualTo(2);
            assertThat(r.err()).doesNotContain("Exception");
        }
        assertThat(dir.resolve("x")).doesNotExist();
    }
}
