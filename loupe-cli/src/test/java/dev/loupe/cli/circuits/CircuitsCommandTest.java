package dev.loupe.cli.circuits;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.loupe.analysis.circuits.Composition;
import dev.loupe.analysis.circuits.CompositionBaseline;
import dev.loupe.analysis.circuits.CompositionScores;
import dev.loupe.analysis.circuits.HeadCircuits;
import dev.loupe.analysis.circuits.HeadId;
import dev.loupe.analysis.circuits.TokenPair;
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
import java.util.List;

import static dev.loupe.cli.MainTest.run;
import static org.assertj.core.api.Assertions.assertThat;

class CircuitsCommandTest {
    @TempDir
    Path tmp;
    Path dir;
    Gpt gpt;
    CharTokenizer tok = CharTokenizer.fromCorpus("the quick brown fox jumps\n");

    @BeforeEach
    void writeTinyModel() {
        GptConfig c = new GptConfig(tok.vocabSize(), 16, 16, 3, 2, 0, 1e-5f, true, GptConfig.Norm.PRE, GptConfig.Mlp.NONE,
                GptConfig.Positional.LEARNED);
        gpt = Gpt.create(c, 5);
        dir = tmp.resolve("tiny");
        ModelDirectory.write(dir, c, gpt.parameters());
        Tokenizers.save(tok, dir);
    }

    @Test
    void weightsBf16ReadsTheBf16ModelsCircuits() throws Exception {
        MainTest.Result r = run("circuits", "--model", dir.toString(), "--json", "--top", "2", "--weights", "bf16");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(r.out());
        HeadCircuits half = new HeadCircuits(gpt.toBf16()), f32 = new HeadCircuits(gpt);
        assertThat(j.get("heads")).hasSize(6);
        boolean moved = false;
        for (JsonNode h : j.get("heads")) {
            int l = h.get("layer").asInt(), hd = h.get("head").asInt();
            double ov = h.get("ov_copying_score").asDouble();
            assertThat(ov).isEqualTo(half.ovCopyingScore(l, hd));                       // the bf16 model's score …
            assertThat(ov).isCloseTo(f32.ovCopyingScore(l, hd), org.assertj.core.api.Assertions.within(0.05)); // … near float32's
            assertThat(h.get("qk_copying_score").asDouble()).isEqualTo(half.qkMatchingScore(l, hd));
            moved |= ov != f32.ovCopyingScore(l, hd);
        }
        assertThat(moved).as("rounded weights move some score").isTrue();
        MainTest.Result fold = run("circuits", "--model", dir.toString(), "--fold-ln", "--weights", "bf16");
        assertThat(fold.code()).isEqualTo(2);
        assertThat(fold.err()).contains("--fold-ln").contains("bf16").doesNotContain("at dev.");
    }

    @Test
    void jsonHoldsEveryHeadEveryLaterPairAndTheBaselineWithTheLibrarysNumbers() throws Exception {
        MainTest.Result r = run("circuits", "--model", dir.toString(), "--json", "--top", "3");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(r.out());
        HeadCircuits c = new HeadCircuits(gpt);
        assertThat(j.get("model").get("layers").asInt()).isEqualTo(3);
        assertThat(j.get("heads")).hasSize(6);
        for (JsonNode h : j.get("heads")) {
            int l = h.get("layer").asInt(), hd = h.get("head").asInt();
            assertThat(h.get("ov_copying_score").asDouble()).isEqualTo(c.ovCopyingScore(l, hd));
            assertThat(h.get("qk_copying_score").asDouble()).isEqualTo(c.qkMatchingScore(l, hd));
            List<TokenPair> ov = TokenPair.top(c.fullOv(l, hd), 3, tok::tokenText);
            assertThat(h.get("ov_top_pairs")).hasSize(3);
            JsonNode first = h.get("ov_top_pairs").get(0);
            assertThat(first.get("source").asInt()).isEqualTo(ov.get(0).rowToken());
            assertThat(first.get("out").asInt()).isEqualTo(ov.get(0).columnToken());
            assertThat(first.get("source_text").asText()).isEqualTo(tok.tokenText(ov.get(0).rowToken()));
            assertThat(first.get("value").asDouble()).isEqualTo(ov.get(0).value());
            assertThat(h.get("qk_top_pairs").get(0).get("destination").asInt())
                    .isEqualTo(c.fullQk(l, hd).largestEntries(1).get(0).row());
        }
        CompositionScores all = CompositionScores.compute(c);
        assertThat(j.get("composition")).hasSize(2 * 2 * 3);            // (0→1), (0→2), (1→2), 2 × 2 heads each
        for (JsonNode p : j.get("composition")) {
            HeadId from = new HeadId(p.get("from").get(0).asInt(), p.get("from").get(1).asInt());
            HeadId to = new HeadId(p.get("to").get(0).asInt(), p.get("to").get(1).asInt());
            assertThat(to.layer()).isGreaterThan(from.layer());
            for (Composition k : Composition.values()) assertThat(p.get(k.key()).asDouble()).isEqualTo(all.score(k, from, to));
        }
        for (Composition k : Composition.values()) {
            CompositionBaseline b = CompositionBaseline.of(k, 16, 8, CompositionBaseline.DEFAULT_DRAWS, CircuitsReport.BASELINE_SEED);
            assertThat(j.get("baseline").get(k.key()).asDouble()).isEqualTo(b.mean());
            assertThat(j.get("baseline_std").get(k.key()).asDouble()).isEqualTo(b.std());
        }
    }

    @Test
    void selectingAHeadKeepsItsRowAndTheCompositionsItTakesPartIn() throws Exception {
        MainTest.Result r = run("circuits", "--model", dir.toString(), "--json", "--layer", "1", "--head", "0");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertThat(j.get("heads")).hasSize(1);
        assertThat(j.get("heads").get(0).get("layer").asInt()).isEqualTo(1);
        assertThat(j.get("composition")).hasSize(2 + 2);                // from L0H0, L0H1 into it; from it into L2H0, L2H1
        for (JsonNode p : j.get("composition")) {
            boolean involved = p.get("from").toString().equals("[1,0]") || p.get("to").toString().equals("[1,0]");
            assertThat(involved).as(p.toString()).isTrue();
        }
    }

    @Test
    void textShowsScoresPairsTablesAndBaseline() {
        MainTest.Result r = run("circuits", "--model", dir.toString(), "--top", "2");
        assertThat(r.code()).as(r.err()).isZero();
        HeadCircuits c = new HeadCircuits(gpt);
        assertThat(r.out()).contains("3 layers × 2 heads").contains("L2H1")
                .contains(String.format(java.util.Locale.ROOT, "%+.4f", c.ovCopyingScore(2, 1)))
                .contains("OV  source → raised logit").contains("K-composition L0 → L2").contains("Baseline")
                .contains("Strongest compositions");
        assertThat(r.out().lines().filter(l -> l.startsWith("  V  ")).count()).isEqualTo(2);
    }

    @Test
    void badRequestsExitWithOneLine() {
        assertThat(run("circuits", "--model", dir.toString(), "--head", "1").code()).isEqualTo(2);
        assertThat(run("circuits", "--model", dir.toString(), "--top", "-1").code()).isEqualTo(2);
        MainTest.Result layer = run("circuits", "--model", dir.toString(), "--layer", "3");
        assertThat(layer.code()).isEqualTo(2);
        assertThat(layer.err()).contains("layers 0 … 2");
        MainTest.Result missing = run("circuits", "--model", tmp.resolve("nope").toString());
        assertThat(missing.code()).isEqualTo(1);
        assertThat(missing.err().lines().count()).isEqualTo(1);
        assertThat(missing.err()).doesNotContain("at dev.");
    }

}
