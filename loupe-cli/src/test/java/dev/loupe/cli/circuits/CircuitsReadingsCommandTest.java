package dev.loupe.cli.circuits;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.loupe.analysis.circuits.BigramTable;
import dev.loupe.analysis.circuits.FactoredMatrix;
import dev.loupe.analysis.circuits.HeadCircuits;
import dev.loupe.analysis.transforms.LayerNormFolding;
import dev.loupe.cli.MainTest;
import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.model.io.ModelDirectory;
import dev.loupe.tensor.Tensor;
import dev.loupe.tokens.CharTokenizer;
import dev.loupe.tokens.Tokenizers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The readings {@code loupe circuits} adds: --prompt path expansion, --html, --fold-ln, bigram and skip-trigram tables. */
class CircuitsReadingsCommandTest {
    @TempDir
    Path tmp;
    final CharTokenizer tok = CharTokenizer.fromCorpus("the quick brown fox jumps\n");

    /** A model with random order-1 LayerNorm parameters and biases, so folding and bias paths are visible. */
    Gpt write(String name, int layers, GptConfig.Mlp mlp) {
        GptConfig c = new GptConfig(tok.vocabSize(), 16, 16, layers, 2, 32, 1e-5f, true, GptConfig.Norm.PRE, mlp,
                GptConfig.Positional.LEARNED);
        Gpt gpt = Gpt.create(c, 5);
        long s = 100;
        for (Map.Entry<String, Tensor> e : gpt.parameters().entrySet()) {
            float[] d = e.getValue().contiguousData(), r = Tensor.randn(++s, 0.3f, e.getValue().shape()).contiguousData();
            boolean gain = e.getKey().contains("ln_") && e.getKey().endsWith("weight");
            for (int i = 0; i < d.length; i++) d[i] = (gain ? 1f : 0f) + r[i];
        }
        ModelDirectory.write(tmp.resolve(name), c, gpt.parameters());
        Tokenizers.save(tok, tmp.resolve(name));
        return gpt;
    }

    @Test
    void promptExpandsTheLogitsIntoPathsAndHtmlDrawsTheReport() throws Exception {
        write("attn3", 3, GptConfig.Mlp.NONE);
        Path html = tmp.resolve("out/c.html");
        MainTest.Result r = MainTest.run("circuits", "--model", tmp.resolve("attn3").toString(), "--json", "--prompt", "the fox",
                "--html", html.toString());
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode p = new ObjectMapper().readTree(r.out()).get("path_expansion");
        assertThat(p.get("tokens")).hasSize(7);
        // 3 layers × 2 heads: 1 → 1+2+1 = 4 → 4·3+1 = 13 → 13·3+1 = 40 paths
        assertThat(p.get("terms")).hasSize(40);
        assertThat(p.get("max_sum_error").asDouble()).isLessThan(1e-3);
        List<String> paths = p.get("terms").findValuesAsText("path");
        assertThat(paths).contains("direct", "L0H1", "L0H0→L2H1", "L0H1→L1H0→L2H1", "bias L2");
        String page = Files.readString(html);
        assertThat(page).contains("<h3>K-composition", "L0H1→L1H0", "Path expansion").endsWith("</html>\n");
        MainTest.Result text = MainTest.run("circuits", "--model", tmp.resolve("attn3").toString(), "--prompt", "the fox");
        assertThat(text.out()).contains("Path expansion", "VIRTUAL_HEAD", "ln_final bias");
    }

    @Test
    void foldLnScoresAreThoseOfTheFoldedWeights() throws Exception {
        Gpt gpt = write("attn2", 2, GptConfig.Mlp.NONE);
        JsonNode raw = new ObjectMapper().readTree(MainTest.run("circuits", "--model", tmp.resolve("attn2").toString(), "--json").out());
        MainTest.Result r = MainTest.run("circuits", "--model", tmp.resolve("attn2").toString(), "--json", "--fold-ln");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertThat(j.get("fold_ln").asBoolean()).isTrue();
        HeadCircuits folded = new HeadCircuits(LayerNormFolding.fold(gpt).model());
        JsonNode h = j.get("heads").get(1);
        assertThat(h.get("ov_copying_score").asDouble()).isEqualTo(folded.ovCopyingScore(0, 1));
        assertThat(h.get("ov_copying_score").asDouble()).isNotEqualTo(raw.get("heads").get(1).get("ov_copying_score").asDouble());
        assertThat(j.get("composition").get(0).has("k")).isTrue();
    }

    @Test
    void zeroLayersGetTheBigramTableAndOneLayerTheSkipTrigrams() throws Exception {
        Gpt zero = write("zero", 0, GptConfig.Mlp.NONE);
        MainTest.Result r0 = MainTest.run("circuits", "--model", tmp.resolve("zero").toString(), "--json", "--top", "4");
        assertThat(r0.code()).as(r0.err()).isZero();
        JsonNode b = new ObjectMapper().readTree(r0.out()).get("bigrams");
        List<FactoredMatrix.Entry> expected = new BigramTable(zero).strongest(4);
        assertThat(b).hasSize(4);
        assertThat(b.get(0).get("token").asInt()).isEqualTo(expected.getFirst().row());
        assertThat(b.get(0).get("next").asInt()).isEqualTo(expected.getFirst().column());
        assertThat(MainTest.run("circuits", "--model", tmp.resolve("zero").toString()).out()).contains("Bigram table");

        write("one", 1, GptConfig.Mlp.NONE);
        MainTest.Result r1 = MainTest.run("circuits", "--model", tmp.resolve("one").toString(), "--json", "--top", "3");
        assertThat(r1.code()).as(r1.err()).isZero();
        JsonNode s = new ObjectMapper().readTree(r1.out()).get("skip_trigrams");
        assertThat(s).hasSize(6);
        assertThat(s.get(0).has("source_text")).isTrue();
        assertThat(MainTest.run("circuits", "--model", tmp.resolve("one").toString()).out()).contains("Skip-trigrams");
    }

    @Test
    void promptOnAModelWithMlpsIsAUsageError() {
        write("mlp", 2, GptConfig.Mlp.GELU);
        MainTest.Result r = MainTest.run("circuits", "--model", tmp.resolve("mlp").toString(), "--prompt", "the");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("attention-only");
    }
}
