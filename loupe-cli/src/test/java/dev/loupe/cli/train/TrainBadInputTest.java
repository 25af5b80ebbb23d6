package dev.loupe.cli.train;

import dev.loupe.cli.MainTest;
import dev.loupe.cli.UsageException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static dev.loupe.cli.MainTest.run;
import static dev.loupe.cli.train.TrainCommandTest.TEXT;
import static dev.loupe.cli.train.TrainCommandTest.args;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Issue 20, item 6: sizes that overflow int or the heap, empty data and bad counts are refused with one clear line. */
class TrainBadInputTest {

    @Test
    void hugeSizesAreRefusedAtOnceWithTheFigure(@TempDir Path dir) throws Exception {
        Path text = Files.writeString(dir.resolve("cats.txt"), TEXT);
        String out = dir.resolve("o").toString();

        MainTest.Result batch = run("train", "--data", text.toString(), "--out", out, "--batch", "1000000000");
        assertThat(batch.code()).as(batch.err()).isEqualTo(2);
        assertThat(batch.err()).contains("--batch × --seq (1000000000 × 64 tokens)").contains("more than one Java array can")
                .doesNotContain("-589934592");

        MainTest.Result width = run("train", "--data", text.toString(), "--out", out, "--d-model", "1000000000", "--heads", "1");
        assertThat(width.code()).as(width.err()).isEqualTo(2);
        assertThat(width.err()).contains("more than one Java array can").doesNotContain("-294967296");

        long t0 = System.nanoTime();
        MainTest.Result deep = run("train", "--data", text.toString(), "--out", out, "--layers", "1000000000");
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertThat(deep.code()).as(deep.err()).isEqualTo(2);
        assertThat(deep.err()).contains("this run cannot fit in memory").contains("PiB").contains("but the JVM may use");
        assertThat(seconds).as("refused before building anything").isLessThan(5);
        assertThat(Files.exists(dir.resolve("o"))).isFalse();
    }

    @Test
    void footprintCountsInLongAndAgainstTheHeap() {
        // GPT-2 small: 124,439,808 parameters (tied), 16 bytes each while training ≈ 1.85 GiB
        TrainingFootprint gpt2 = new TrainingFootprint(50257, 1024, 768, 12, 12, 3072, false, true);
        assertThat(gpt2.parameters()).isEqualTo(124_439_808L);
        gpt2.checkTraining(1, 64, 8L << 30);
        assertThatThrownBy(() -> gpt2.checkTraining(1, 64, 1L << 30)).isInstanceOf(UsageException.class)
                .hasMessageContaining("1.85 GiB of weights, gradients and AdamW moments").hasMessageContaining("1.00 GiB");
        assertThatThrownBy(() -> gpt2.checkEvaluation(100_000, 1024, 8L << 30)).isInstanceOf(UsageException.class)
                .hasMessageContaining("logits of one batch");
        assertThatThrownBy(() -> gpt2.checkEvaluation(8, 1024, 1L << 30)).isInstanceOf(UsageException.class)
                .hasMessageContaining("give a smaller --batch");
    }

    @Test
    void emptyDataAndNegativeCountsAreClearUsage(@TempDir Path dir) throws Exception {
        Path empty = Files.writeString(dir.resolve("empty.txt"), "");
        MainTest.Result r = run(args("--data", empty.toString(), "--out", dir.resolve("o").toString()));
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err().strip()).isEqualTo("loupe: training data " + empty + " is empty: there is nothing to train on");

        Path text = Files.writeString(dir.resolve("cats.txt"), TEXT);
        Path model = dir.resolve("m");
        MainTest.Result trained = run(args("--data", text.toString(), "--out", model.toString(), "--steps", "1"));
        assertThat(trained.code()).as(trained.err()).isZero();

        MainTest.Result negative = run("eval", "--model", model.toString(), "--data", text.toString(), "--max-windows", "-1");
        assertThat(negative.code()).isEqualTo(2);
        assertThat(negative.err()).contains("--max-windows must be 0 (all) or positive, got -1");

        // more windows per pass than the file holds: evaluated in one pass instead of overflowing an int
        MainTest.Result wide = run("eval", "--model", model.toString(), "--data", text.toString(), "--batch", "1000000000",
                "--seq", "16", "--json");
        assertThat(wide.code()).as(wide.err()).isZero();
        MainTest.Result narrow = run("eval", "--model", model.toString(), "--data", text.toString(), "--seq", "16", "--json");
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        var w = json.readTree(wide.out());
        var n = json.readTree(narrow.out());
        assertThat(w.get("tokens").asLong()).isEqualTo(n.get("tokens").asLong()).isEqualTo(1904); // 119 windows of 16
        // one pass of 119 rows instead of 15 of 8: the same mean up to float32 rounding
        assertThat(w.get("loss").asDouble()).isCloseTo(n.get("loss").asDouble(), org.assertj.core.data.Offset.offset(1e-6));
    }
}
