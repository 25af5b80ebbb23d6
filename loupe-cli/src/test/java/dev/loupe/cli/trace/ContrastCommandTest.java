package dev.loupe.cli.trace;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.loupe.analysis.contrast.ValueContrast;
import dev.loupe.cli.MainTest;
import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.model.io.ModelDirectory;
import dev.loupe.tokens.CharTokenizer;
import dev.loupe.tokens.Tokenizers;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static dev.loupe.cli.MainTest.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class ContrastCommandTest {
    @TempDir
    Path tmp;
    Path dir;
    Gpt gpt;
    CharTokenizer tok = CharTokenizer.fromCorpus("abcdefgh ");

    @BeforeEach
    void tinyModel() {
        GptConfig c = new GptConfig(tok.vocabSize(), 32, 16, 2, 2, 32, 1e-5f, true, GptConfig.Norm.PRE,
                GptConfig.Mlp.GELU, GptConfig.Positional.LEARNED);
        gpt = Gpt.create(c, 3);
        for (var t : gpt.parameters().values()) {
            float[] d = t.contiguousData();
            for (int i = 0; i < d.length; i++) d[i] *= 20;
        }
        dir = tmp.resolve("m");
        ModelDirectory.write(dir, c, gpt.parameters());
        Tokenizers.save(tok, dir);
    }

    @Test
    void textReportsEveryHeadAndTheResidualCosines() {
        MainTest.Result r = run("contrast", "--model", dir.toString(), "--token", "bad",
                "--context", "a bad egg", "--context", "had a bad dad");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("'bad' is 3 tokens (b | a | d): using the last, 'd'", "after block 1", "L1 H1",
                "A ↑", "B ↑", "   ↓", "ln_final's centring and γ");
        assertThat(r.out().lines().filter(l -> l.matches("L\\d H\\d.*")).count()).isEqualTo(4);
    }

    @Test
    void jsonNumbersAreTheAnalysisNumbers() throws Exception {
        MainTest.Result r = run("contrast", "--model", dir.toString(), "--token", "d", "--context", "abd",
                "--context", "d", "--json", "--top", "2", "--raw-unembedding");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode root = new ObjectMapper().readTree(r.out());
        assertThat(root.get("through_ln_final").asBoolean()).isFalse();
        ValueContrast vc = ValueContrast.compute(gpt, tok.encode("abd"), 2, tok.encode("d"), 0, 2, false);
        JsonNode h = root.get("heads").get(3);
        assertThat(h.get("ov_cosine").asDouble()).isCloseTo(vc.heads().get(3).ovCosine(), within(1e-12));
        assertThat(h.get("up_b").size()).isEqualTo(2);
        assertThat(root.get("residual_cosines").size()).isEqualTo(3);
    }

    @Test
    void weightsBf16ContrastsTheBf16ModelsValuePaths() throws Exception {
        MainTest.Result r = run("contrast", "--model", dir.toString(), "--token", "d", "--context", "abd",
                "--context", "d", "--json", "--top", "2", "--weights", "bf16");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode root = new ObjectMapper().readTree(r.out());
        ValueContrast half = ValueContrast.compute(gpt.toBf16(), tok.encode("abd"), 2, tok.encode("d"), 0, 2, true);
        ValueContrast full = ValueContrast.compute(gpt, tok.encode("abd"), 2, tok.encode("d"), 0, 2, true);
        for (int k = 0; k < 4; k++) {
            double got = root.get("heads").get(k).get("ov_cosine").asDouble();
            assertThat(got).isCloseTo(half.heads().get(k).ovCosine(), within(1e-12));
            assertThat(got).isCloseTo(full.heads().get(k).ovCosine(), within(0.05));
        }
    }

    @Test
    void identicalContextsGiveCosineOne() throws Exception {
        MainTest.Result r = run("contrast", "--model", dir.toString(), "--token", "c", "--context", "abc",
                "--context", "abc", "--json");
        JsonNode root = new ObjectMapper().readTree(r.out());
        for (JsonNode c : root.get("residual_cosines")) assertThat(c.asDouble()).isCloseTo(1, within(1e-9));
        for (JsonNode h : root.get("heads")) assertThat(h.get("ov_cosine").asDouble()).isCloseTo(1, within(1e-9));
    }

    /** A character model without a space in its vocabulary: no GPT-2 " word" spelling is tried (it could not be encoded). */
    @Test
    void worksOnACharacterModelWhoseVocabularyHasNoSpace() {
        CharTokenizer noSpace = CharTokenizer.fromCorpus("abcdefgh");
        GptConfig c = new GptConfig(noSpace.vocabSize(), 32, 16, 2, 2, 32, 1e-5f, true, GptConfig.Norm.PRE,
                GptConfig.Mlp.GELU, GptConfig.Positional.LEARNED);
        Path d = tmp.resolve("nospace");
        ModelDirectory.write(d, c, Gpt.create(c, 4).parameters());
        Tokenizers.save(noSpace, d);
        MainTest.Result r = run("contrast", "--model", d.toString(), "--token", "bad",
                "--context", "abadegg", "--context", "hadabaddad");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("using the last, 'd'");
    }

    @Test
    void missingTokenAndBadUsage() {
        MainTest.Result missing = run("contrast", "--model", dir.toString(), "--token", "h",
                "--context", "abc", "--context", "hh");
        assertThat(missing.code()).isEqualTo(1);
        assertThat(missing.err()).contains("context A \"abc\" does not contain 'h'").doesNotContain("at dev.");
        assertThat(missing.err().lines().count()).isEqualTo(1);
        assertThat(run("contrast", "--model", dir.toString(), "--token", "a", "--context", "a").code()).isEqualTo(2);
        assertThat(run("contrast", "--model", dir.toString(), "--token", "a", "--context", "a", "--context", "a", "--top", "0").code()).isEqualTo(2);
        assertThat(run("contrast", "--token", "a", "--context", "a", "--context", "a").code()).isEqualTo(2);
        assertThat(run("contrast", "--help").out()).contains("OV = v·W_O^h", "Examples:");
    }
}
