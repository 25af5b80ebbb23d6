package dev.loupe.cli.train;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loupe.cli.MainTest;
import dev.loupe.model.GptConfig;
import dev.loupe.model.MoeSettings;
import dev.loupe.model.io.ModelDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static dev.loupe.cli.MainTest.run;
import static dev.loupe.cli.train.TrainCommandTest.TEXT;
import static dev.loupe.cli.train.TrainCommandTest.args;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code loupe train --moe-experts …}: the mixture's flags, its terms in the progress line and log, and exact resume. */
class MoeTrainCommandTest {
    static final String[] MOE = {"--moe-experts", "4", "--moe-top-k", "2", "--d-expert", "8", "--moe-aux-coef", "0.05",
            "--moe-capacity", "1.0", "--moe-layers", "0"};

    static String[] moeArgs(String... more) {
        List<String> a = new ArrayList<>(List.of(args(MOE)));
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    @Test
    void trainsAMixtureAndReportsItsTermsBesideTheLmLoss(@TempDir Path dir) throws Exception {
        Path text = Files.writeString(dir.resolve("cats.txt"), TEXT);
        Path out = dir.resolve("run"), log = dir.resolve("log.jsonl");
        MainTest.Result r = run(moeArgs("--data", text.toString(), "--out", out.toString(), "--steps", "4", "--log-json", log.toString()));
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).contains("4 experts top-2 (d_expert 8) in layers [0]").contains(" aux ").contains(" z ");
        GptConfig c = ModelDirectory.readConfig(out);
        assertThat(c.moe()).isEqualTo(new MoeSettings(4, 2, 8, MoeSettings.Router.SOFTMAX_TOPK, 0.05f, 0.001f, 1.0f, List.of(0)));
        List<JsonNode> steps = TrainResumeTest.lines(log).stream().filter(n -> n.has("loss")).toList();
        assertThat(steps).hasSize(4);
        for (JsonNode n : steps) {
            // a balanced router has aux = α; z = β·mean lse² > 0; N·k slots in the one MoE layer
            assertThat(n.get("aux").asDouble()).isBetween(0.05 * 0.9, 0.05 * 4);
            assertThat(n.get("z").asDouble()).isPositive();
            assertThat(n.get("slots").asLong()).isEqualTo(2L * 16 * 2);
            assertThat(n.get("dropped").asLong()).isBetween(0L, n.get("slots").asLong());
        }
    }

    /** Steps 1–4, a checkpoint, then 5–8 from it: the losses of an uninterrupted 8-step run, bit for bit. */
    @Test
    void resumingAMixtureRunGivesTheUninterruptedLosses(@TempDir Path dir) throws Exception {
        Path text = Files.writeString(dir.resolve("cats.txt"), TEXT);
        Path straight = dir.resolve("straight.jsonl"), log = dir.resolve("run.jsonl");
        assertThat(run(moeArgs("--data", text.toString(), "--out", dir.resolve("s").toString(), "--steps", "8",
                "--log-json", straight.toString())).code()).isZero();
        Path out = dir.resolve("run");
        assertThat(run(moeArgs("--data", text.toString(), "--out", out.toString(), "--steps", "4", "--log-json", log.toString())).code())
                .isZero();
        MainTest.Result resumed = run(moeArgs("--data", text.toString(), "--out", out.toString(), "--steps", "8", "--log-json", log.toString()));
        assertThat(resumed.code()).as(resumed.err()).isZero();
        assertThat(resumed.err()).contains("resuming");
        assertThat(TrainCommandTest.losses(log)).containsExactlyElementsOf(TrainCommandTest.losses(straight));
        MainTest.Result changed = run("train", "--data", text.toString(), "--out", out.toString(), "--moe-experts", "8");
        assertThat(changed.code()).isEqualTo(2);
        assertThat(changed.err()).contains("--moe-experts cannot change on resume");
    }

    @Test
    void badMixtureFlagsAreUsageErrors(@TempDir Path dir) throws Exception {
        Path text = Files.writeString(dir.resolve("cats.txt"), TEXT);
        String out = dir.resolve("run").toString();
        MainTest.Result stray = run(args("--data", text.toString(), "--out", out, "--moe-top-k", "1"));
        assertThat(stray.code()).isEqualTo(2);
        assertThat(stray.err()).contains("need --moe-experts");
        MainTest.Result k = run(args("--data", text.toString(), "--out", out, "--moe-experts", "2", "--moe-top-k", "3"));
        assertThat(k.code()).isEqualTo(2);
        assertThat(k.err()).contains("--moe-top-k must be between 1 and experts (2), got 3");
        MainTest.Result attnOnly = run(args("--data", text.toString(), "--out", out, "--moe-experts", "2", "--attn-only"));
        assertThat(attnOnly.code()).isEqualTo(2);
        assertThat(attnOnly.err()).contains("--attn-only");
        MainTest.Result layer = run(args("--data", text.toString(), "--out", out, "--moe-experts", "2", "--moe-layers", "5"));
        assertThat(layer.code()).isEqualTo(2);
        assertThat(layer.err()).contains("layer 5");
        assertThat(Files.exists(dir.resolve("run"))).isFalse();
    }
}
