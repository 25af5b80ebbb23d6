package dev.loupe.cli.train;

import dev.loupe.train.Trainer;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class ProgressReporterTest {

    /**
     * The first step pays for JIT compilation and used to predict "ETA 33m40s" for a 35 s run: its line
     * carries no speed and no ETA, and the tokens/s shown later is not dragged down by it.
     */
    @Test
    void firstStepPredictsNoEtaAndDoesNotSkewTheSpeed() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ProgressReporter p = new ProgressReporter(new PrintStream(bytes, true, StandardCharsets.UTF_8), 0, 40, null, false)) {
            p.onStep(new Trainer.StepReport(1, 40, 3f, 1e-3, 1, 5.0, 10));            // slow: JIT
            for (int s = 2; s <= 40; s++) p.onStep(new Trainer.StepReport(s, 40, 2f, 1e-3, 1, 0.01, 100_000));
        }
        String[] lines = bytes.toString(StandardCharsets.UTF_8).split("\n");
        assertThat(lines[0]).startsWith("step 1/40").contains("measuring speed").doesNotContain("ETA").doesNotContain("tok/s");
        assertThat(lines[1]).startsWith("step 2/40").contains("100,000 tok/s").contains("ETA");
        assertThat(lines[lines.length - 1]).startsWith("step 40/40").contains("ETA 0s");
    }

    /** Issue 20: a run of one step printed "0 tok/s" (the smoothed speed starts at the second step). */
    @Test
    void aOneStepRunShowsItsSpeed() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ProgressReporter p = new ProgressReporter(new PrintStream(bytes, true, StandardCharsets.UTF_8), 0, 1, null, false)) {
            p.onStep(new Trainer.StepReport(1, 1, 3f, 1e-3, 1, 0.5, 2048));
        }
        assertThat(bytes.toString(StandardCharsets.UTF_8)).contains("2,048 tok/s").doesNotContain(" 0 tok/s");
    }

    /** Issue 20, item 2: a validation loss on part of the set says so, with the tokens counted. */
    @Test
    void validationLossesSayWhatTheyCounted() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ProgressReporter p = new ProgressReporter(new PrintStream(bytes, true, StandardCharsets.UTF_8), 0, 10, null, false)) {
            p.validationTokens(430_000);
            p.onEval(5, new dev.loupe.train.Evaluator.Result(2.3076, 10_240));
            p.onFinalEval(10, new dev.loupe.train.Evaluator.Result(2.3375, 430_000));
        }
        String err = bytes.toString(StandardCharsets.UTF_8);
        assertThat(err).contains("step 5: validation loss 2.3076 (perplexity 10.05) on a sample of 10,240 of 430,000 validation tokens");
        assertThat(err).contains("step 10: validation loss 2.3375 (perplexity 10.36) on the whole validation set, 430,000 tokens");
    }
}
