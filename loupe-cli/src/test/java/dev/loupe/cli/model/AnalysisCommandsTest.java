package dev.loupe.cli.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.loupe.analysis.decomposition.LogitLens;
import dev.loupe.cli.MainTest;
import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.model.HookPoints;
import dev.loupe.model.io.ModelDirectory;
import dev.loupe.tensor.Tensor;
import dev.loupe.tokens.CharTokenizer;
import dev.loupe.tokens.Tokenizers;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static dev.loupe.cli.MainTest.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** loupe hooks, attribute, lens on a tiny random model. */
class AnalysisCommandsTest {
    @TempDir
    Path tmp;
    Path dir;
    Gpt gpt;
    final CharTokenizer tok = CharTokenizer.fromCorpus("hello world, abc\n");

    @BeforeEach
    void writeTinyModel() {
        GptConfig c = new GptConfig(tok.vocabSize(), 32, 16, 2, 2, 32, 1e-5f, true,
                GptConfig.Norm.PRE, GptConfig.Mlp.GELU, GptConfig.Positional.LEARNED);
        gpt = Gpt.create(c, 3);
        for (Tensor t : gpt.parameters().values()) {
            float[] d = t.contiguousData();
            for (int i = 0; i < d.length; i++) d[i] *= 20;
        }
        dir = tmp.resolve("tiny");
        ModelDirectory.write(dir, c, gpt.parameters());
        Tokenizers.save(tok, dir);
    }

    @Test
    void hooksPrintsTheTableWithShapesForT() {
        MainTest.Result r = run("hooks", "--model", dir.toString(), "--seq", "7");
        assertThat(r.code()).isZero();
        int rows = HookPoints.table(gpt.config(), 1, 7).size();
        assertThat(r.out()).contains(rows + " hook points").contains("BOS")
                .contains("blocks.1.attn.hook_pattern").contains("[1, 2, 7, 7]").contains("ln_final.hook_scale");
        assertThat(run("hooks", "--model", dir.toString(), "--seq", "0").code()).isEqualTo(2);
    }

    @Test
    void attributeJsonAddsUpToTheLogitAndSaysWhetherBosWasPrepended() throws Exception {
        MainTest.Result r = run("attribute", "--model", dir.toString(), "--text", "hello", "--target", "l", "--json");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertThat(j.get("prepend_bos").asBoolean()).isFalse();
        assertThat(j.get("target").get("id").asInt()).isEqualTo(tok.encode("l")[0]);
        double sum = j.get("ln_final_bias_term").asDouble();
        for (JsonNode c : j.get("components")) sum += c.get("attribution").asDouble();
        assertThat(sum).isCloseTo(j.get("logit").asDouble(), within(1e-3));
        float logit = gpt.logits(tok.encode("hello"), 1, 5).get(0, 4, tok.encode("l")[0]);
        assertThat(j.get("logit").asDouble()).isCloseTo(logit, within(1e-4));
        assertThat(j.get("heads")).hasSize(2);

        MainTest.Result text = run("attribute", "--model", dir.toString(), "--text", "hello");
        assertThat(text.out()).contains("BOS: none prepended").contains("L1MLP").contains("total");
        MainTest.Result two = run("attribute", "--model", dir.toString(), "--text", "hello", "--target", "he");
        assertThat(two.code()).isEqualTo(1);
        assertThat(two.err()).contains("2 tokens");
        assertThat(run("attribute", "--model", dir.toString(), "--text", "hello", "--prepend-bos").err()).contains("no end-of-text token");
    }

    /** With --counterfactual the attributions add up to the logit difference at --position, which the logits give directly. */
    @Test
    void attributeWeightsBf16AttributesTheBf16ModelWithinRoundingOfFloat32() throws Exception {
        MainTest.Result f = run("attribute", "--model", dir.toString(), "--text", "hello", "--target", "l", "--json");
        MainTest.Result h = run("attribute", "--model", dir.toString(), "--text", "hello", "--target", "l", "--json", "--weights", "bf16");
        assertThat(h.code()).as(h.err()).isZero();
        JsonNode f32 = new ObjectMapper().readTree(f.out()), bf16 = new ObjectMapper().readTree(h.out());
        var rd = dev.loupe.analysis.decomposition.ResidualDecomposition.compute(gpt.toBf16(), tok.encode("hello"));
        double[] expected = rd.directLogitAttribution(4, tok.encode("l")[0]);
        double scale = 0, moved = 0;
        for (JsonNode c : f32.get("components")) scale = Math.max(scale, Math.abs(c.get("attribution").asDouble()));
        for (int k = 0; k < expected.length; k++) {
            double got = bf16.get("components").get(k).get("attribution").asDouble(), ref = f32.get("components").get(k).get("attribution").asDouble();
            assertThat(got).as("component %d: the bf16 model's attribution", k).isCloseTo(expected[k], within(1e-9));
            assertThat(got).as("component %d: within bf16 rounding of float32", k).isCloseTo(ref, within(scale / 32));
            moved = Math.max(moved, Math.abs(got - ref));
        }
        assertThat(moved).as("rounded weights move the attributions").isGreaterThan(0);
        assertThat(bf16.get("logit").asDouble()).isCloseTo(rd.logits().get(4, tok.encode("l")[0]), within(1e-6));
    }

    @Test
    void attributeLogitDifferenceAtAPosition() throws Exception {
        MainTest.Result r = run("attribute", "--model", dir.toString(), "--text", "hello", "--target", "l",
                "--counterfactual", "w", "--position", "2", "--json");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertThat(j.get("metric").asText()).isEqualTo("logit_difference");
        assertThat(j.get("position").asInt()).isEqualTo(2);
        Tensor logits = gpt.logits(tok.encode("hello"), 1, 5);
        double diff = logits.get(0, 2, tok.encode("l")[0]) - logits.get(0, 2, tok.encode("w")[0]);
        assertThat(j.get("logit").asDouble()).isCloseTo(diff, within(1e-4));
        double sum = j.get("ln_final_bias_term").asDouble();
        for (JsonNode c : j.get("components")) sum += c.get("attribution").asDouble();
        assertThat(sum).isCloseTo(diff, within(1e-3));
        assertThat(run("attribute", "--model", dir.toString(), "--text", "hello", "--position", "5").code()).isEqualTo(2);
        assertThat(run("attribute", "--model", dir.toString(), "--text", "hello", "--target", "l", "--counterfactual", "w")
                .out()).contains("logit difference 'l' − 'w'");
    }

    @Test
    void lensJsonMatchesTheLibrary() throws Exception {
        MainTest.Result r = run("lens", "--model", dir.toString(), "--text", "abc", "--top", "2", "--json");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertThat(j.get("layers").asInt()).isEqualTo(3);
        LogitLens lens = LogitLens.compute(gpt, tok.encode("abc"));
        JsonNode top = j.get("positions").get(2).get("layers").get(1).get("top");
        assertThat(top).hasSize(2);
        assertThat(top.get(0).get("id").asInt()).isEqualTo(lens.top(1, 2, 1).get(0).token());
        assertThat(run("lens", "--model", dir.toString(), "--text", "abc").out()).contains("BOS: none prepended").contains("embed").contains("L1");
    }

    @Test
    void lensPrintsOneGridRowPerPositionWithTheTopGuessOfEachLayer() throws Exception {
        String text = "hello world, abc hello world";
        MainTest.Result r = run("lens", "--model", dir.toString(), "--text", text);
        assertThat(r.code()).as(r.err()).isZero();
        java.util.List<String> lines = r.out().lines().toList();
        assertThat(lines.size()).isLessThan(text.length() + 8);   // one line per position, not one per (position, layer)
        int header = lines.indexOf(lines.stream().filter(l -> l.startsWith("position")).findFirst().orElseThrow());
        assertThat(lines.get(header).split(" +")).containsExactly("position", "embed", "L0", "L1");
        LogitLens lens = LogitLens.compute(gpt, tok.encode(text));
        for (int t = 0; t < text.length(); t++) {
            String row = lines.get(header + 1 + t);
            assertThat(row).startsWith(t + " '");
            for (int l = 0; l < 3; l++) {
                LogitLens.Guess g = lens.top(l, t, 1).get(0);
                String cell = "'" + tok.tokenText(g.token()).replace("\n", "\\n") + "' " + String.format(java.util.Locale.ROOT, "%2.0f%%", 100 * g.probability());
                assertThat(row).contains(cell);
            }
        }
        assertThat(r.out()).contains("last position, top 3 at the output (L1):");
    }
}
