package dev.loupe.cli.model;

import dev.loupe.cli.MainTest;
import dev.loupe.model.Generator;
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

import static dev.loupe.cli.MainTest.run;
import static org.assertj.core.api.Assertions.assertThat;

class ModelCommandsTest {
    @TempDir
    Path tmp;
    Path dir;
    Gpt gpt;
    CharTokenizer tok = CharTokenizer.fromCorpus("hello world, abc\n");

    @BeforeEach
    void writeTinyModel() {
        GptConfig c = new GptConfig(tok.vocabSize(), 32, 16, 2, 2, 32, 1e-5f, true,
                GptConfig.Norm.PRE, GptConfig.Mlp.GELU, GptConfig.Positional.LEARNED);
        gpt = Gpt.create(c, 3);
        for (Tensor t : gpt.parameters().values()) {   // make predictions non-uniform
            float[] d = t.contiguousData();
            for (int i = 0; i < d.length; i++) d[i] *= 20;
        }
        dir = tmp.resolve("tiny");
        ModelDirectory.write(dir, c, gpt.parameters());
        Tokenizers.save(tok, dir);
    }

    @Test
    void logitsWritesTheFullForwardAsNpy() {
        Path out = tmp.resolve("z.npy");
        MainTest.Result r = run("logits", "--model", dir.toString(), "--text", "hello", "--out", out.toString(), "--top", "2");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("wrote logits [5, " + tok.vocabSize() + "]").contains("'h'");
        Tensor z = Npy.read(out);
        Tensor expected = gpt.logits(tok.encode("hello"), 1, 5).reshape(5, tok.vocabSize());
        assertThat(z.shape()).containsExactly(5, tok.vocabSize());
        assertThat(z.maxAbsDiff(expected)).isZero();
        assertThat(r.out().lines().filter(l -> l.contains("→")).count()).isEqualTo(5);
    }

    @Test
    void logitsAcceptsIdsAndReportsBadOnesInOneLine() {
        assertThat(run("logits", "--model", dir.toString(), "--ids", "1,2,3").code()).isZero();
        MainTest.Result bad = run("logits", "--model", dir.toString(), "--ids", "1,999");
        assertThat(bad.code()).isEqualTo(1);
        assertThat(bad.err()).contains("token id 999 is outside the vocabulary").doesNotContain("at dev.");
        assertThat(run("logits", "--model", dir.toString(), "--ids", "1", "--top", "-1").code()).isEqualTo(2);
        assertThat(run("logits", "--model", dir.toString(), "--ids", "1", "--text", "a").code()).isEqualTo(2);
    }

    @Test
    void generateIsGreedyAtTemperatureZeroAndSeededOtherwise() {
        MainTest.Result r = run("generate", "--model", dir.toString(), "--prompt", "hel", "--max-tokens", "8", "--temperature", "0");
        assertThat(r.code()).isZero();
        int[] expected = new Generator(gpt, Sampler.greedy()).generate(tok.encode("hel"), 8);
        assertThat(r.out().strip()).isEqualTo(tok.decode(expected).strip());
        String a = run("generate", "--model", dir.toString(), "--prompt", "a", "--seed", "5", "--top-k", "3").out();
        String b = run("generate", "--model", dir.toString(), "--prompt", "a", "--seed", "5", "--top-k", "3").out();
        assertThat(a).isEqualTo(b);
    }

    @Test
    void generateCropsTheContextBeyondNPositionsAndSaysSoOnce() {
        MainTest.Result r = run("generate", "--model", dir.toString(), "--prompt", "hello", "--max-tokens", "40", "--temperature", "0");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).containsOnlyOnce("last 32 tokens");
        int[] expected = new Generator(gpt, Sampler.greedy()).generate(tok.encode("hello"), 40);
        assertThat(expected).hasSize(45);
        assertThat(r.out().strip()).isEqualTo(tok.decode(expected).strip());
    }

    @Test
    void generateReportsSettingErrorsWithoutPrintingThePrompt() {
        MainTest.Result badChar = run("generate", "--model", dir.toString(), "--prompt", "hello QQQ");
        assertThat(badChar.code()).isEqualTo(1);
        assertThat(badChar.out()).doesNotContain("hello");
        assertThat(run("generate", "--model", dir.toString(), "--prompt", "a", "--top-p", "0").code()).isEqualTo(2);
        MainTest.Result missing = run("generate", "--model", tmp.resolve("nope").toString(), "--prompt", "a");
        assertThat(missing.code()).isEqualTo(1);
    }

    @Test
    void textNeedsATokenizer() throws Exception {
        Files.delete(dir.resolve(Tokenizers.TOKENIZER_JSON));
        MainTest.Result r = run("logits", "--model", dir.toString(), "--text", "hi");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("has no tokenizer");
    }

    /** Without tokenizer files, generation still works on ids: greedy continuation equals the full forward's argmax. */
    @Test
    void generateOnIdsNeedsNoTokenizer() throws Exception {
        Files.delete(dir.resolve(Tokenizers.TOKENIZER_JSON));
        MainTest.Result r = run("generate", "--model", dir.toString(), "--ids", "1,2,3", "--max-tokens", "4", "--temperature", "0");
        assertThat(r.code()).as(r.err()).isZero();
        String[] parts = r.out().strip().split(",");
        assertThat(parts).hasSize(7);
        int[] ids = java.util.Arrays.stream(parts).mapToInt(Integer::parseInt).toArray();
        for (int t = 3; t < 7; t++) {
            int[] prefix = java.util.Arrays.copyOf(ids, t);
            Tensor logits = gpt.logits(prefix, 1, t).reshape(t, gpt.config().vocabSize());
            assertThat(ids[t]).isEqualTo(dev.loupe.tensor.ops.Ops.argmax(logits.select(0, t - 1))[0]);
        }
        MainTest.Result bad = run("generate", "--model", dir.toString(), "--prompt", "hi");
        assertThat(bad.code()).isEqualTo(1);
        assertThat(bad.err()).contains("--ids");
    }

    @Test
    void benchGenerateReportsStepStatisticsForBothWeightFormats() {
        MainTest.Result r = run("bench", "generate", "--layers", "1", "--d-model", "32", "--heads", "2", "--vocab", "100",
                "--prompt", "3", "--tokens", "10", "--warmup", "1", "--no-peer");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("tok/s").contains("mean ms").contains("p90").contains("load average")
                .containsPattern("loupe f32 +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+")
                .containsPattern("loupe bf16 +[0-9.]+").containsPattern("loupe bf16 / loupe f32 tokens/s: [0-9.]+");
        assertThat(r.err()).contains("f32, bf16: timing 10 steps, the formats taking turns");
        assertThat(run("bench", "generate", "--d-model", "30", "--heads", "4", "--no-peer").code()).isEqualTo(2);
        assertThat(run("bench", "generate", "--weights", "fp8", "--no-peer").code()).isEqualTo(2);
    }

    @Test
    void benchPrefillTimesFullForwardPasses() {
        MainTest.Result r = run("bench", "prefill", "--layers", "1", "--d-model", "32", "--heads", "2", "--vocab", "100",
                "--tokens", "16", "--repeat", "2", "--warmup", "0", "--weights", "bf16", "--no-peer");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("16 tokens").containsPattern("loupe bf16 +[0-9.]+").doesNotContain("loupe f32");
    }

    @Test
    void weightsBf16RunsTheModelWithRoundedWeights() {
        Path f32 = tmp.resolve("f32.npy"), bf16 = tmp.resolve("bf16.npy");
        assertThat(run("logits", "--model", dir.toString(), "--text", "hello", "--out", f32.toString()).code()).isZero();
        MainTest.Result r = run("logits", "--model", dir.toString(), "--text", "hello", "--out", bf16.toString(), "--weights", "bf16");
        assertThat(r.code()).isZero();
        Tensor expected = gpt.toBf16().logits(tok.encode("hello"), 1, 5).reshape(5, tok.vocabSize());
        assertThat(Npy.read(bf16).maxAbsDiff(expected)).isZero();               // the same model as Gpt.toBf16
        assertThat(Npy.read(bf16).maxAbsDiff(Npy.read(f32))).isGreaterThan(0f); // and not the float32 one
        MainTest.Result g = run("generate", "--model", dir.toString(), "--prompt", "hel", "--max-tokens", "8", "--temperature", "0",
                "--weights", "bf16");
        assertThat(g.code()).isZero();
        int[] greedy = new Generator(gpt.toBf16(), Sampler.greedy()).generate(tok.encode("hel"), 8);
        assertThat(g.out().strip()).isEqualTo(tok.decode(greedy).strip());
        assertThat(run("lens", "--model", dir.toString(), "--text", "hello", "--weights", "bf16").code()).isZero();
        assertThat(run("attention", "--model", dir.toString(), "--text", "hello", "--weights", "bf16",
                "--out", tmp.resolve("a.html").toString()).code()).isZero();
        assertThat(run("ablate", "--model", dir.toString(), "--text", "hello", "--heads", "L1H0", "--weights", "bf16",
                "--out", tmp.resolve("ab").toString()).code()).isZero();
        assertThat(run("cache", "--model", dir.toString(), "--text", "hello", "--hooks", "blocks.*.attn.hook_pattern",
                "--weights", "bf16", "--out", tmp.resolve("c.npz").toString()).code()).isZero();
        MainTest.Result bad = run("logits", "--model", dir.toString(), "--text", "hello", "--weights", "int4");
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err()).contains("--weights").contains("f32 or bf16").doesNotContain("at dev.");
    }

    @Test
    void benchBf16ReportsLogitErrorAgreementAndGreedyTokens() throws Exception {
        Path text = tmp.resolve("t.txt");
        Files.writeString(text, "hello world, hello abc");
        MainTest.Result r = run("bench", "bf16", "--model", dir.toString(), "--file", text.toString(), "--tokens", "16",
                "--greedy-prompt", "4", "--greedy", "5");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("t.txt, first 16 tokens").containsPattern("max \\|logit error\\| +[0-9.e-]+")
                .containsPattern("top-1 agreement +[0-9.]+ % of 16 positions").containsPattern("greedy +[0-5] of 5 tokens");
        assertThat(run("bench", "bf16", "--greedy-prompt", "0").code()).isEqualTo(2);
    }
}
