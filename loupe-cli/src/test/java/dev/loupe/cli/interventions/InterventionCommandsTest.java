package dev.loupe.cli.interventions;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.loupe.analysis.detectors.HeadDetectors;
import dev.loupe.analysis.detectors.HeadScores;
import dev.loupe.analysis.interventions.Ablation;
import dev.loupe.analysis.interventions.Intervention;
import dev.loupe.analysis.interventions.Metrics;
import dev.loupe.analysis.interventions.Steering;
import dev.loupe.cli.MainTest;
import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.model.Sampler;
import dev.loupe.model.io.ModelDirectory;
import dev.loupe.tensor.Tensor;
import dev.loupe.tensor.io.Npy;
import dev.loupe.tokens.CharTokenizer;
import dev.loupe.tokens.Tokenizers;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.loupe.cli.MainTest.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** ablate, patch, detect, cache and steer on a tiny 2-layer model: their numbers are the library's, recomputed. */
class InterventionCommandsTest {
    @TempDir
    Path tmp;
    Path dir;
    Gpt gpt;
    CharTokenizer tok = CharTokenizer.fromCorpus("abcdefgh");
    final ObjectMapper json = new ObjectMapper();

    @BeforeEach
    void tinyModel() {
        GptConfig c = new GptConfig(tok.vocabSize(), 16, 16, 2, 2, 32, 1e-5f, true, GptConfig.Norm.PRE,
                GptConfig.Mlp.GELU, GptConfig.Positional.LEARNED);
        dir = tmp.resolve("m");
        gpt = writeModel(c, tok, dir);
    }

    /** A model of {@code c} with GPT-2's initialisation × 10 (so its predictions are sharp), written with {@code tok} to {@code dir}. */
    static Gpt writeModel(GptConfig c, CharTokenizer tok, Path dir) {
        Gpt gpt = Gpt.create(c, 5);
        for (Tensor t : gpt.parameters().values()) {
            float[] d = t.contiguousData();
            for (int i = 0; i < d.length; i++) d[i] *= 10;
        }
        ModelDirectory.write(dir, c, gpt.parameters());
        Tokenizers.save(tok, dir);
        return gpt;
    }

    @Test
    void ablatingHeadsGivesTheLossOfTheHookedRunAndTheMetricIsGptLoss() throws Exception {
        int[] ids = tok.encode("abcdabcdh");
        MainTest.Result r = run("ablate", "--model", dir.toString(), "--text", "abcdabcdh", "--heads", "L1H0,L0H1", "--out", tmp.resolve("o").toString());
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode root = json.readTree(tmp.resolve("o/ablate.json").toFile());
        double before = gpt.loss(java.util.Arrays.copyOf(ids, ids.length - 1), java.util.Arrays.copyOfRange(ids, 1, ids.length), 1, ids.length - 1);
        assertThat(root.get("before").asDouble()).isCloseTo(before, within(1e-5));
        double after = Intervention.loss(gpt, ids, List.of(Ablation.zeroHead(1, 0), Ablation.zeroHead(0, 1)));
        assertThat(root.get("after").asDouble()).isCloseTo(after, within(1e-9)).isNotCloseTo(before, within(1e-4));
        assertThat(r.out()).contains("with L1H0,L0H1 ablated");
        assertThat(Files.readString(tmp.resolve("o/ablate.html"))).contains("<svg", "linearGradient");
    }

    @Test
    void allHeadsWritesTheLayerByHeadChangeAsNpyAndLogitDiffWorks() throws Exception {
        Path o = tmp.resolve("all");
        MainTest.Result r = run("ablate", "--model", dir.toString(), "--text", "abcab", "--all-heads", "--mode", "mean",
                "--metric", "logit-diff", "--target", "c", "--counterfactual", "h", "--out", o.toString());
        assertThat(r.code()).as(r.err()).isZero();
        Tensor change = Npy.read(o.resolve("ablate.npy"));
        assertThat(change.shape()).containsExactly(2, 2);
        int[] ids = tok.encode("abcab");
        var metric = Metrics.logitDifference(4, tok.encode("c")[0], tok.encode("h")[0]);
        double before = metric.applyAsDouble(gpt.logits(ids, 1, 5).copy());
        var reference = gpt.runWithCache(ids, 1, 5, n -> n.endsWith("attn.hook_z")).cache();
        double after = metric.applyAsDouble(Intervention.run(gpt, ids, 1, 5, Ablation.meanHead(1, 1, reference)));
        assertThat(change.get(1, 1)).isCloseTo((float) (after - before), within(1e-4f));
        assertThat(r.out()).contains("L1", "H1");
    }

    @Test
    void ablateRejectsBadNamesAsUsage() {
        assertThat(run("ablate", "--model", dir.toString(), "--text", "abc", "--heads", "1.3").code()).isEqualTo(2);
        assertThat(run("ablate", "--model", dir.toString(), "--text", "abc", "--heads", "L0N1").code()).isEqualTo(2);
        assertThat(run("ablate", "--model", dir.toString(), "--text", "abc").code()).isEqualTo(2);
        MainTest.Result missing = run("ablate", "--model", dir.toString(), "--text", "abc", "--heads", "L5H0");
        assertThat(missing.code()).isEqualTo(1);
        assertThat(missing.err()).contains("layers 0–1").doesNotContain("\tat ");
    }

    /** Patching layer 0's resid_pre at the one changed position restores the clean run exactly (1); elsewhere it changes nothing (0). */
    @Test
    void patchingNormalisesToOneForCleanAndZeroForCorrupted() throws Exception {
        Path o = tmp.resolve("p");
        MainTest.Result r = run("patch", "--model", dir.toString(), "--clean", "abcdabc", "--corrupted", "abcdhbc",
                "--metric", "logit-diff", "--target", "d", "--counterfactual", "h", "--out", o.toString());
        assertThat(r.code()).as(r.err()).isZero();
        Tensor resid = Npy.read(o.resolve("patch_resid_pre.npy"));
        assertThat(resid.shape()).containsExactly(2, 7);
        assertThat(resid.get(0, 4)).isCloseTo(1f, within(1e-4f));
        for (int t : new int[] {0, 1, 2, 3, 5, 6}) assertThat(resid.get(0, t)).as("position %d", t).isCloseTo(0f, within(1e-4f));
        assertThat(Npy.read(o.resolve("patch_heads.npy")).shape()).containsExactly(2, 2);
        assertThat(Npy.read(o.resolve("patch_mlp_out.npy")).shape()).containsExactly(2, 7);
        assertThat(Files.readString(o.resolve("patch.html"))).contains("layer × position", "linearGradient");
        assertThat(run("patch", "--model", dir.toString(), "--clean", "abc", "--corrupted", "ab").code()).isEqualTo(2);
    }

    @Test
    void detectPrintsTheLibraryScoresOnTheNamedProbe() throws Exception {
        Path o = tmp.resolve("d");
        MainTest.Result r = run("detect", "--model", dir.toString(), "--batch", "3", "--half", "6", "--seed", "2", "--out", o.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("3 × 2·6 repeated random tokens", "seed 2", "L1H1").doesNotContain("the standard probe");
        HeadScores s = HeadDetectors.onRepeatedTokens(gpt, 3, 6, 1, 2);
        JsonNode root = json.readTree(o.resolve("detect.json").toFile());
        assertThat(root.get("induction").get(1).get(0).asDouble()).isCloseTo(s.induction()[1][0], within(1e-12));
        assertThat(Npy.read(o.resolve("detect_previous_token.npy")).get(0, 1)).isCloseTo((float) s.previousToken()[0][1], within(1e-6f));
        assertThat(run("detect", "--model", dir.toString(), "--half", "17").code()).isEqualTo(2);

        // without flags: the standard probe, the one the explorer and the quickstart score heads on, named
        Path std = tmp.resolve("d-std");
        MainTest.Result d = run("detect", "--model", dir.toString(), "--out", std.toString());
        assertThat(d.code()).as(d.err()).isZero();
        dev.loupe.analysis.detectors.Probe probe = dev.loupe.analysis.detectors.Probe.standard(gpt.config());
        assertThat(d.out()).contains("probe    " + probe.name() + " (the standard probe)");
        HeadScores standard = HeadDetectors.on(gpt, probe);
        assertThat(json.readTree(std.resolve("detect.json").toFile()).get("induction").get(1).get(1).asDouble())
                .isCloseTo(standard.induction()[1][1], within(1e-12));
    }

    /** The .npz loads in numpy with the hook names as keys and the cached values. */
    @Test
    void cacheWritesAnNpzThatNumpyLoads() throws Exception {
        Path npz = tmp.resolve("c.npz");
        MainTest.Result r = run("cache", "--model", dir.toString(), "--text", "abcab", "--hooks", "blocks.*.attn.hook_pattern,hook_embed", "--out", npz.toString());
        assertThat(r.code()).as(r.err()).isZero();
        var zip = new java.util.zip.ZipFile(npz.toFile());
        assertThat(zip.stream().map(java.util.zip.ZipEntry::getName).toList())
                .containsExactly("hook_embed.npy", "blocks.0.attn.hook_pattern.npy", "blocks.1.attn.hook_pattern.npy");
        zip.close();
        assertThat(run("cache", "--model", dir.toString(), "--text", "ab", "--hooks", "nothing.*", "--out", npz.toString()).code()).isEqualTo(2);
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "/usr/bin/python3 missing: numpy check skipped");
        Tensor p = gpt.runWithCache(tok.encode("abcab"), 1, 5, n -> n.equals("blocks.1.attn.hook_pattern")).cache().get("blocks.1.attn.hook_pattern");
        Process py = new ProcessBuilder("/usr/bin/python3", "-c",
                "import numpy as np,sys; z=np.load(sys.argv[1]); a=z['blocks.1.attn.hook_pattern']; "
                        + "print(sorted(z.files)); print(a.dtype, a.shape); print('%.6f' % a[0,1,4,2])", npz.toString())
                .redirectErrorStream(true).start();
        String out = new String(py.getInputStream().readAllBytes());
        assertThat(py.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assumeTrue(!out.contains("No module named"), "numpy missing at /usr/bin/python3: " + out);
        assertThat(out).contains("['blocks.0.attn.hook_pattern', 'blocks.1.attn.hook_pattern', 'hook_embed']")
                .contains("float32 (1, 2, 5, 5)").contains(String.format(java.util.Locale.ROOT, "%.6f", p.get(0, 1, 4, 2)));
    }

    @Test
    void steeringWithTwoTextsIsTheLibrarysGenerationAndAZeroVectorChangesNothing() {
        MainTest.Result r = run("steer", "--model", dir.toString(), "--prompt", "abc", "--hook", "blocks.1.hook_resid_pre",
                "--from", "aaaa", "--to", "hhhh", "--scale", "8", "--max-tokens", "40");
        assertThat(r.code()).as(r.err()).isZero();
        Tensor v = Steering.difference(gpt, "blocks.1.hook_resid_pre", tok.encode("aaaa"), tok.encode("hhhh"));
        int[] steered = Steering.generate(gpt, Sampler.greedy(), tok.encode("abc"), 40,
                List.of(Steering.add("blocks.1.hook_resid_pre", v, 8f)), t -> true);
        assertThat(steered).hasSize(43); // past n_positions = 16: cropped, as nanoGPT
        assertThat(r.out()).contains("steered:   " + tok.decode(steered));
        Path zero = tmp.resolve("zero.npy");
        Npy.write(zero, Tensor.zeros(16));
        MainTest.Result same = run("steer", "--model", dir.toString(), "--prompt", "abc", "--hook", "blocks.0.hook_resid_post",
                "--vector", zero.toString(), "--max-tokens", "10");
        assertThat(same.code()).as(same.err()).isZero();
        String[] lines = same.out().lines().filter(l -> l.contains("steered:")).map(l -> l.substring(l.indexOf(':') + 1).strip()).toArray(String[]::new);
        assertThat(lines).hasSize(2);
        assertThat(lines[0]).isEqualTo(lines[1]).hasSize(13);
        assertThat(run("steer", "--model", dir.toString(), "--prompt", "abc", "--hook", "blocks.9.x", "--vector", zero.toString()).code()).isEqualTo(1);
    }
}
