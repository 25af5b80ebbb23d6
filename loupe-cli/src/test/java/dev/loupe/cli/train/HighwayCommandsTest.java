package dev.loupe.cli.train;

import dev.loupe.cli.MainTest;
import dev.loupe.model.HighwaySettings;
import dev.loupe.model.io.ModelDirectory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;

import static dev.loupe.cli.MainTest.run;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Highway-gated models from the command line: train's --highway flags write SPEC's config, the model
 * generates; bad flags are one-line usage errors.
 */
class HighwayCommandsTest {
    @TempDir
    static Path dir;
    static Path model;

    @BeforeAll
    static void trainOne() throws Exception {
        model = AttentionKindCommandsTest.train(dir, "hw", "--highway", "attn,mlp", "--highway-gate", "scalar",
                "--highway-mode", "gated_residual", "--highway-bias", "-1.5");
    }

    @Test
    void trainWritesTheHighwaySettingsAndTheGateTensors() throws Exception {
        var loaded = ModelDirectory.read(model);
        assertThat(loaded.config().highway()).isEqualTo(new HighwaySettings(EnumSet.allOf(HighwaySettings.Sublayer.class),
                HighwaySettings.Gate.SCALAR, HighwaySettings.Mode.GATED_RESIDUAL, -1.5f));
        assertThat(loaded.weights().get("h.0.mlp_gate.weight").shape()).containsExactly(16, 1);
        assertThat(loaded.weights().get("h.0.attn_gate.bias").toArray()[0]).isNotEqualTo(-1.5f);   // trained
        assertThat(Files.readString(model.resolve("config.json"))).contains("LoupeGPT").contains("\"highway\"");

        MainTest.Result g = run("generate", "--model", model.toString(), "--prompt", "the ", "--max-tokens", "8", "--seed", "1");
        assertThat(g.code()).as(g.err()).isZero();
        assertThat(g.out()).startsWith("the ");
    }

    @Test
    void badHighwayFlagsAreOneLineUsageErrors() {
        Path out = dir.resolve("bad");
        String[][] cases = {
                {"--highway", "ffn"}, {"--highway-gate", "scalar"}, {"--highway", "attn", "--highway-mode", "coupled"},
                {"--highway", "attn", "--norm", "post"}, {"--highway", "mlp", "--attn-only"}};
        for (String[] c : cases) {
            java.util.List<String> a = new java.util.ArrayList<>(java.util.List.of("train", "--data", dir.resolve("cats.txt").toString(),
                    "--out", out.toString()));
            a.addAll(java.util.List.of(c));
            MainTest.Result r = run(a.toArray(String[]::new));
            assertThat(r.code()).as(String.join(" ", c)).isEqualTo(2);
            assertThat(r.err().lines().findFirst().orElseThrow()).startsWith("loupe train: --").contains("--highway");
            assertThat(r.err()).doesNotContain("Exception");
            assertThat(Files.exists(out)).isFalse();
        }
    }
}
