package dev.loupe.cli.quickstart;

import dev.loupe.cli.MainTest;
import dev.loupe.model.Gpt;
import dev.loupe.model.io.ModelDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

class QuickstartCommandTest {

    @Test
    void blocksAreDistinctSymbolsRepeatedOnce() {
        int[] b = RepeatedSequences.block(new SplittableRandom(3), 12, 64);
        assertThat(b).hasSize(24);
        var seen = new HashSet<Integer>();
        for (int i = 0; i < 12; i++) {
            assertThat(seen.add(b[i])).as("symbol %d repeats inside the first half", i).isTrue();
            assertThat(b[12 + i]).isEqualTo(b[i]);
            assertThat(b[i]).isBetween(0, 63);
        }
        int[] s = RepeatedSequences.stream(5, 100, 12, 12, 64);
        assertThat(s).hasSize(100);
        assertThat(s[30]).isEqualTo(s[42]); // second block's repeat
        assertThat(RepeatedSequences.ALPHABET.chars().sorted().toArray()).isEqualTo(RepeatedSequences.ALPHABET.chars().toArray());
    }

    /** The demo must really learn to copy: accuracy on the repeated half far above chance, measured by the command. */
    @Test
    void learnsToCopyAndSavesAUsableModel(@TempDir Path dir) {
        Path out = dir.resolve("qs");
        var r = MainTest.run("quickstart", "--out", out.toString());
        assertThat(r.code()).as(r.err()).isZero();
        Matcher m = Pattern.compile("second half \\(repeated\\): next-symbol accuracy +([0-9.]+)%").matcher(r.out());
        assertThat(m.find()).as(r.out()).isTrue();
        assertThat(Double.parseDouble(m.group(1))).isGreaterThan(90.0);
        assertThat(r.out()).contains("Saved the model to " + out);

        // the saved model continues a fresh repeat by itself
        var loaded = ModelDirectory.read(out);
        Gpt gpt = Gpt.fromWeights(loaded.config(), loaded.weights());
        CopyingReport report = CopyingReport.measure(gpt, 99, 50, QuickstartCommand.HALF);
        assertThat(report.secondHalfAccuracy()).isGreaterThan(0.9);
        assertThat(report.firstHalfAccuracy()).isLessThan(0.1);
    }

    @Test
    void badStepsIsUsageError() {
        var r = MainTest.run("quickstart", "--steps", "3");
        assertThat(r.code()).isEqualTo(2);
    }
}
