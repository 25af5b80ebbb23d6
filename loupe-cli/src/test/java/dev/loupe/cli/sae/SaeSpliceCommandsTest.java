package dev.loupe.cli.sae;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.loupe.analysis.interventions.Intervention;
import dev.loupe.cli.MainTest;
import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.model.io.ModelDirectory;
import dev.loupe.sae.Architecture;
import dev.loupe.sae.SaeConfig;
import dev.loupe.sae.SaeFiles;
import dev.loupe.sae.SaeInterventions;
import dev.loupe.sae.SaeMetadata;
import dev.loupe.sae.SaeSplice;
import dev.loupe.sae.SparseAutoencoder;
import dev.loupe.tensor.Tensor;
import dev.loupe.tensor.io.Npy;
import dev.loupe.tokens.CharTokenizer;
import dev.loupe.tokens.Tokenizers;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** {@code --sae DIR [--sae-error]} on the model commands, against the plain model and a PyTorch splice. */
class SaeSpliceCommandsTest {
    static final GptConfig CONFIG = new GptConfig(24, 32, 16, 2, 2, 32, 1e-5f, false, GptConfig.Norm.PRE,
            GptConfig.Mlp.GELU, GptConfig.Positional.LEARNED);
    static final String TEXT = "abcabdxqabcaw";
    static final String IDS = "0,1,2,0,1,3,23,16,0,1,2,0,22";

    @TempDir
    Path dir;

    Path model() {
        Path m = dir.resolve("model");
        Gpt gpt = Gpt.create(CONFIG, 4);
        ModelDirectory.write(m, CONFIG, gpt.parameters());
        Tokenizers.save(CharTokenizer.of(Arrays.asList("abcdefghijklmnopqrstuvwx".split(""))), m);
        return m;
    }

    Path sae(String name, String hook, int dIn) {
        int dSae = 4 * dIn;
        SparseAutoencoder s = SparseAutoencoder.of(SaeConfig.of(Architecture.STANDARD, dIn, dSae, 0, SaeMetadata.of("test", hook)),
                Tensor.randn(1, 0.3f, dIn, dSae), Tensor.randn(2, 0.1f, dSae), Tensor.randn(3, 0.3f, dSae, dIn), Tensor.randn(4, 0.1f, dIn), null);
        Path d = dir.resolve(name);
        SaeFiles.save(s, d, null);
        return d;
    }

    Tensor logits(String... extra) {
        Path out = dir.resolve("l" + System.nanoTime() + ".npy");
        List<String> args = new ArrayList<>(List.of("logits", "--model", dir.resolve("model").toString(), "--ids", IDS, "--top", "0", "--out", out.toString()));
        args.addAll(List.of(extra));
        MainTest.Result r = MainTest.run(args.toArray(String[]::new));
        assertThat(r.code()).as(r.err()).isZero();
        return Npy.read(out);
    }

    @Test
    void withTheErrorTermLogitsAreThePlainModelsWithoutItTheyAreTheSplicedOnes() {
        model();
        Path sae = sae("sae", "blocks.0.mlp.hook_post", 32);
        Tensor plain = logits(), withError = logits("--sae", sae.toString(), "--sae-error"), spliced = logits("--sae", sae.toString());
        assertThat(withError.maxAbsDiff(plain)).isLessThan(1e-5f);
        assertThat(spliced.maxAbsDiff(plain)).isGreaterThan(1e-3f);
    }

    @Test
    void splicedLogitsAndFeatureAblationEqualAPyTorchForwardWithTheSaeSplicedIn() throws Exception {
        Path python = Path.of(System.getenv().getOrDefault("LOUPE_PYTHON", "/usr/bin/python3"));
        Path script = script();
        Assumptions.assumeTrue(script != null, "torch reference skipped: reference/torch_sae_splice.py not found");
        Assumptions.assumeTrue(Files.isExecutable(python) && exec(List.of(python.toString(), "-c", "import torch, numpy")).startsWith("0"),
                "torch absent: skipped (" + python + " cannot import torch and numpy)");
        Path m = model();
        for (String hook : List.of("blocks.0.mlp.hook_post", "blocks.1.hook_resid_pre", "blocks.0.attn.hook_z", "blocks.1.hook_mlp_out")) {
            Path sae = sae(hook.replace('.', '_'), hook, hook.endsWith("mlp.hook_post") ? 32 : 16);
            Tensor mine = logits("--sae", sae.toString());
            JsonNode ref = new ObjectMapper().readTree(run(python, script, "--model", m, "--sae", sae, "--ids", IDS));
            assertThat(maxDiff(mine.reshape(13, 24), ref.path("logits"))).as(hook).isLessThan(2e-4);
        }
        // feature ablation through the intervention API, error term on
        Path sae = dir.resolve("blocks_0_mlp_hook_post");
        Gpt gpt = Gpt.fromWeights(CONFIG, ModelDirectory.read(m).weights());
        int[] ids = Arrays.stream(IDS.split(",")).mapToInt(Integer::parseInt).toArray();
        try (SaeSplice s = SaeSplice.attach(gpt, SaeFiles.load(sae), true)) {
            Tensor ablated = Intervention.run(gpt, ids, 1, ids.length, SaeInterventions.ablate(s, 5));
            JsonNode ref = new ObjectMapper().readTree(run(python, script, "--model", m, "--sae", sae, "--ids", IDS, "--error-term", "--ablate", "5"));
            assertThat(maxDiff(ablated.reshape(13, 24), ref.path("logits"))).isLessThan(2e-4);
            assertThat(ablated.maxAbsDiff(gpt.logits(ids, 1, ids.length))).as("feature 5 fires somewhere: its ablation changes logits").isGreaterThan(1e-4f);
        }
    }

    @Test
    void attributeListsFeaturesAndItsTableStillAddsUpToTheLogit() throws Exception {
        Path m = model();
        Path sae = sae("resid", "blocks.1.hook_resid_pre", 16);
        MainTest.Result r = MainTest.run("attribute", "--model", m.toString(), "--text", TEXT, "--sae", sae.toString(), "--json");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(r.out());
        double sum = j.path("ln_final_bias_term").asDouble() + j.path("sae").path("replacement_term").asDouble();
        for (JsonNode c : j.path("components")) sum += c.path("attribution").asDouble();
        assertThat(sum).isCloseTo(j.path("logit").asDouble(), within(1e-3));
        assertThat(Math.abs(j.path("sae").path("replacement_term").asDouble())).isGreaterThan(1e-4);
        assertThat(j.path("sae").path("features").size()).isPositive();
        MainTest.Result text = MainTest.run("attribute", "--model", m.toString(), "--text", TEXT, "--sae", sae.toString(), "--sae-error");
        assertThat(text.code()).as(text.err()).isZero();
        assertThat(text.out()).contains("SAE features at blocks.1.hook_resid_pre").contains("b_dec");
        assertThat(text.err()).contains("error term added back");
    }

    @Test
    void generateAndLensRunWithTheSaeAndWithTheErrorTermGenerateAsThePlainModel() {
        Path m = model();
        Path sae = sae("sae", "blocks.0.hook_resid_post", 16);
        MainTest.Result plain = MainTest.run("generate", "--model", m.toString(), "--ids", "0,1,2", "--max-tokens", "12", "--temperature", "0");
        MainTest.Result same = MainTest.run("generate", "--model", m.toString(), "--ids", "0,1,2", "--max-tokens", "12", "--temperature", "0",
                "--sae", sae.toString(), "--sae-error");
        MainTest.Result spliced = MainTest.run("generate", "--model", m.toString(), "--ids", "0,1,2", "--max-tokens", "12", "--temperature", "0",
                "--sae", sae.toString());
        assertThat(plain.code()).isZero();
        assertThat(same.code()).as(same.err()).isZero();
        assertThat(same.out()).isEqualTo(plain.out());
        assertThat(spliced.code()).as(spliced.err()).isZero();
        assertThat(spliced.out()).startsWith("0,1,2,").hasSizeGreaterThan(20);
        MainTest.Result lens = MainTest.run("lens", "--model", m.toString(), "--text", TEXT, "--sae", sae.toString());
        assertThat(lens.code()).as(lens.err()).isZero();
        assertThat(lens.out()).containsPattern("\\n12 '");   // the grid's row for position 12
    }

    @Test
    void anSaeForAnotherModelOrAnErrorTermAloneIsOneClearLine() {
        Path m = model();
        Path wrong = sae("wrong", "blocks.0.hook_resid_post", 24);
        MainTest.Result r = MainTest.run("logits", "--model", m.toString(), "--ids", IDS, "--sae", wrong.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err().strip()).contains("d_in is 24").doesNotContain("\tat ").doesNotContain("\n");
        MainTest.Result missing = MainTest.run("logits", "--model", m.toString(), "--ids", IDS, "--sae", dir.resolve("nothing").toString());
        assertThat(missing.code()).isEqualTo(1);
        assertThat(missing.err()).contains("nothing");
        MainTest.Result alone = MainTest.run("logits", "--model", m.toString(), "--ids", IDS, "--sae-error");
        assertThat(alone.code()).isEqualTo(2);
        assertThat(alone.err()).contains("--sae-error needs --sae");
    }

    private static double maxDiff(Tensor mine, JsonNode ref) {
        double max = 0;
        for (int t = 0; t < mine.dim(0); t++)
            for (int v = 0; v < mine.dim(1); v++) max = Math.max(max, Math.abs(mine.get(t, v) - ref.get(t).get(v).asDouble()));
        return max;
    }

    private static Path script() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path s = p.resolve("reference/torch_sae_splice.py");
            if (Files.isRegularFile(s)) return s;
        }
        return null;
    }

    private static String run(Path python, Path script, Object... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(python.toString(), script.toString()));
        for (Object a : args) cmd.add(a.toString());
        String out = exec(cmd);
        assertThat(out).startsWith("0 ");
        return out.substring(2);
    }

    /** "exit stdout" of a process (stderr goes to the test log). */
    private static String exec(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS)) p.destroyForcibly();
        return p.exitValue() + " " + out;
    }
}
