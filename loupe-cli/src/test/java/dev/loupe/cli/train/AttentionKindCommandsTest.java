package dev.loupe.cli.train;

import dev.loupe.cli.MainTest;
import dev.loupe.model.AttentionKind;
import dev.loupe.model.io.ModelDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static dev.loupe.cli.MainTest.run;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Linear and least-squares attention from the command line: train writes the kind into config.json,
 * and generate, size, circuits and attention run on the result and say what differs from softmax;
 * trace (a softmax walkthrough) refuses with one line; bad flags are usage errors.
 */
class AttentionKindCommandsTest {
    static final String[] TINY = {"--layers", "1", "--d-model", "16", "--heads", "2", "--seq", "16", "--batch", "2",
            "--schedule", "constant", "--warmup", "2", "--lr", "1e-2", "--steps", "6", "--eval-every", "0", "--checkpoint-every", "0"};

    static Path train(Path dir, String name, String... kindFlags) throws Exception {
        Path text = dir.resolve("cats.txt");
        if (!Files.exists(text)) Files.writeString(text, TrainCommandTest.TEXT);
        Path out = dir.resolve(name);
        java.util.List<String> a = new java.util.ArrayList<>(java.util.List.of("train", "--data", text.toString(), "--out", out.toString()));
        a.addAll(java.util.List.of(TINY));
        a.addAll(java.util.List.of(kindFlags));
        MainTest.Result r = run(a.toArray(String[]::new));
        assertThat(r.code()).as(r.err()).isZero();
        return out;
    }

    @Test
    void linearModelTrainsGeneratesAndIsAnalysed(@TempDir Path dir) throws Exception {
        Path m = train(dir, "lin", "--attention", "linear", "--feature-map", "identity", "--no-normalize");
        assertThat(ModelDirectory.readConfig(m).attention()).isEqualTo(AttentionKind.linear(AttentionKind.FeatureMap.IDENTITY, false));
        assertThat(Files.readString(m.resolve("config.json"))).contains("LoupeGPT");

        MainTest.Result g = run("generate", "--model", m.toString(), "--prompt", "the ", "--max-tokens", "8", "--seed", "1");
        assertThat(g.code()).as(g.err()).isZero();
        assertThat(g.out()).startsWith("the ");
        assertThat(g.err()).contains("constant-size state per head, no KV cache");

        MainTest.Result s = run("size", "--model", m.toString());
        assertThat(s.code()).as(s.err()).isZero();
        // 1 layer · 2 heads · d_head 8 · (8 + 1) = 144 numbers
        assertThat(s.out()).contains("linear attention keeps NO KV cache").contains("144 numbers");

        MainTest.Result c = run("circuits", "--model", m.toString());
        assertThat(c.code()).as(c.err()).isZero();
        assertThat(c.out()).contains("note: linear attention").contains("not softmax");

        MainTest.Result t = run("trace", "--model", m.toString(), "--prompt", "the cat");
        assertThat(t.code()).isEqualTo(2);
        assertThat(t.err().lines().findFirst().orElseThrow()).contains("does not support");
        assertThat(t.err()).doesNotContain("Exception");
    }

    @Test
    void leastSquaresModelWithLearnedAlphaTrainsAndDrawsItsWeights(@TempDir Path dir) throws Exception {
        Path m = train(dir, "ls", "--attention", "least_squares", "--ls-alpha", "0.5", "--ls-alpha-learned");
        var loaded = ModelDirectory.read(m);
        assertThat(loaded.config().attention()).isEqualTo(AttentionKind.leastSquares(0.5f, true));
        assertThat(loaded.weights().get("h.0.attn.ls_log_alpha").toArray()).doesNotContain((float) Math.log(0.5)); // trained

        Path html = dir.resolve("att.html");
        MainTest.Result a = run("attention", "--model", m.toString(), "--text", "the cat sat", "--out", html.toString());
        assertThat(a.code()).as(a.err()).isZero();
        assertThat(a.out()).contains("least_squares attention: the effective mixing weights");
        assertThat(Files.readString(html)).contains("may be negative");

        MainTest.Result g = run("generate", "--model", m.toString(), "--prompt", "the ", "--max-tokens", "4");
        assertThat(g.code()).as(g.err()).isZero();
    }

    @Test
    void badAttentionFlagsAreOneLineUsageErrors(@TempDir Path dir) throws Exception {
        Path text = dir.resolve("t.txt");
        Files.writeString(text, TrainCommandTest.TEXT);
        String[][] bad = {{"--attention", "sparse"}, {"--feature-map", "identity"}, {"--attention", "linear", "--ls-alpha", "2"},
                {"--attention", "least_squares", "--ls-alpha", "-1"}};
        for (String[] flags : bad) {
            java.util.List<String> a = new java.util.ArrayList<>(java.util.List.of("train", "--data", text.toString(), "--out",
                    dir.resolve("x").toString()));
            a.addAll(java.util.List.of(flags));
            MainTest.Result r = run(a.toArray(String[]::new));
            assertThat(r.code()).as(String.join(" ", flags)).isEqualTo(2);
            assertThat(r.err().lines().findFirst().orElseThrow()).startsWith("loupe train: --");
            assertThat(r.err()).doesNotContain("Exception");
        }
        assertThat(dir.resolve("x")).doesNotExist();
    }
}
