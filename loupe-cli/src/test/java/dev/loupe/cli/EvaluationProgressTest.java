package dev.loupe.cli;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

class EvaluationProgressTest {

    @Test
    void silentForTwoSecondsThenAboutTwentyLinesWithAnEta() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        AtomicLong now = new AtomicLong();
        EvaluationProgress p = new EvaluationProgress(new PrintStream(bytes, true, StandardCharsets.UTF_8), "eval", now::get);
        for (long done = 1; done <= 400; done++) {
            now.set(done * 100_000_000L);                 // 0.1 s per window
            p.rows(done, 400);
        }
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertThat(out).doesNotContain(" 19/400").contains("eval: 20/400 windows (5%)  ETA 38 s").endsWith("eval: 400/400 windows (100%)  ETA 0 s\n");
        assertThat(out.lines().count()).isBetween(19L, 21L);
    }

    @Test
    void aShortEvaluationPrintsNothing() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        EvaluationProgress p = new EvaluationProgress(new PrintStream(bytes, true, StandardCharsets.UTF_8), "eval", () -> 0L);
        for (long done = 1; done <= 50; done++) p.rows(done, 50);
        assertThat(bytes.size()).isZero();
    }
}
