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
 * generates, {@code loupe highway} draws its gates, size counts them, hooks lists them, attribute and
 * lens read the model through its gates; the weight-only circuit readings (circuits, trace, contrast)
 * refuse it with one line; bad flags are one-line usage errors.
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

    static Path plainModel() throws Exception {
        Path p = dir.resolve("plain");
        return Files.exists(p) ? p : AttentionKindCommandsTest.train(dir, "plain");
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
    void highwayCommandWritesGatesSharesReportAndJson() throws Exception {
        Path out = dir.resolve("view");
        MainTest.Result r = run("highway", "--model", model.toString(), "--text", "the cat sat", "--out", out.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("mean gate T").contains("L0 mlp").contains("embed").contains("asked most for transformation");
        var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(out.resolve("highway.json").toFile());
        assertThat(json.get("rows")).hasSize(2);                          // 1 layer: attn, mlp
        assertThat(json.get("mean_gate").get(0)).hasSize(11);
        double g = json.get("mean_gate").get(1).get(3).asDouble();
        assertThat(g).isStrictlyBetween(0.0, 1.0);
        for (int t = 0; t < 11; t++) {
            double sum = json.get("embed_final_share").get(t).asDouble();
            for (int s = 0; s < 2; s++) sum += json.get("final_share").get(s).get(t).asDouble();
            assertThat(sum).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-4));
        }
        assertThat(Files.readString(out.resolve("highway.html"))).contains("<svg").contains("which tokens asked for transformation");
        assertThat(out.resolve("highway_gate.npy")).exists();

        MainTest.Result j = run("highway", "--model", model.toString(), "--text", "the cat", "--json");
        assertThat(j.code()).as(j.err()).isZero();
        assertThat(new com.fasterxml.jackson.databind.ObjectMapper().readTree(j.out()).get("highway").get("mode").asText())
                .isEqualTo("gated_residual");
    }

    @Test
    void sizeHooksAttributeAndLensHandleTheGates() {
        MainTest.Result s = run("size", "--model", model.toString());
        assertThat(s.code()).as(s.err()).isZero();
        // scalar gates on both sublayers: 2 × (16·1 + 1) = 34 per layer
        assertThat(s.out()).contains("highway gates per layer").containsPattern("highway gates per layer[^\\n]*\\s34\\b");
        MainTest.Result h = run("hooks", "--model", model.toString());
        assertThat(h.out()).contains("blocks.0.hook_attn_gate").contains("blocks.0.hook_mlp_gate");
        MainTest.Result a = run("attribute", "--model", model.toString(), "--text", "the cat");
        assertThat(a.code()).as(a.err()).isZero();
        assertThat(a.out()).contains("highway gates: every term is scaled");
        MainTest.Result l = run("lens", "--model", model.toString(), "--text", "the cat");
        assertThat(l.code()).as(l.err()).isZero();
    }

    @Test
    void weightOnlyCircuitReadingsRefuseWithOneLine() throws Exception {
        String m = model.toString();
        for (String[] args : new String[][] {{"circuits", "--model", m}, {"trace", "--model", m, "--prompt", "the cat"},
                {"contrast", "--model", m, "--token", "a", "--context", "a cat", "--context", "the a"}}) {
            MainTest.Result r = run(args);
            assertThat(r.code()).as(args[0] + ": " + r.err()).isNotZero();
            assertThat(r.err()).as(args[0]).contains("highway gates").doesNotContain("Exception");
            assertThat(r.out()).as(args[0]).isEmpty();
        }
        MainTest.Result plain = run("highway", "--model", plainModel().toString(), "--text", "the");
        assertThat(plain.code()).isEqualTo(2);
        assertThat(plain.err().lines().findFirst().orElseThrow()).contains("has no highway gates");
    }

    @Test
    void reproduceHighwayDepthRunsSmallAndWritesItsReport() throws Exception {
        Path out = dir.resolve("depth");
        MainTest.Result r = run("reproduce", "highway-depth", "--layers", "4", "--d-model", "16", "--heads", "2", "--seq", "8",
                "--batch", "2", "--steps", "8", "--out", out.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("plain-post-ln").contains("gated-residual").contains("MATCHED");
        assertThat(out.resolve("report.html")).exists();
        assertThat(out.resolve("models/highway/config.json")).exists();
        MainTest.Result bad = run("reproduce", "highway-depth", "--layers", "3", "--out", dir.resolve("bad-depth").toString());
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err().lines().findFirst().orElseThrow()).contains("--layers");
        assertThat(dir.resolve("bad-depth")).doesNotExist();
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
