package dev.loupe.cli.reproduce;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.loupe.analysis.circuits.Composition;
import dev.loupe.analysis.circuits.HeadCircuits;
import dev.loupe.cli.MainTest;
import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.model.io.ModelDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The reproductions run end to end (short runs) and say what matched, with their numbers. */
class ReproduceCommandTest {
    @TempDir
    Path tmp;

    @Test
    void bigramModelMatchesTheCountedBigrams() throws Exception {
        Path out = tmp.resolve("bigram");
        MainTest.Result r = MainTest.run("reproduce", "bigram", "--out", out.toString(), "--steps", "400");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(Files.readString(out.resolve("report.json")));
        assertThat(j.get("kl_model").asDouble()).isLessThan(0.1 * j.get("kl_unigram").asDouble());
        assertThat(j.get("findings").get(0).get("matched").asBoolean()).isTrue();
        assertThat(Files.readString(out.resolve("report.md"))).contains("MATCHED", "| model output |");
        assertThat(out.resolve("model/config.json")).exists();
    }

    @Test
    void oneLayerHeadsCopy() throws Exception {
        Path out = tmp.resolve("skip");
        MainTest.Result r = MainTest.run("reproduce", "skip-trigrams", "--out", out.toString(), "--steps", "150");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(Files.readString(out.resolve("report.json")));
        assertThat(j.get("heads")).hasSize(4);
        assertThat(j.get("positive_heads").asInt()).isGreaterThanOrEqualTo(3);
        assertThat(j.get("skip_trigrams")).hasSize(10);
        assertThat(j.get("findings").get(0).get("matched").asBoolean()).isTrue();
        assertThat(r.out()).contains("most heads copy");
    }

    /**
     * The bar for the two-layer model, with the default recipe: the previous-token → induction
     * pair's K-composition is far above baseline and the largest of all pairs, and the heads were found
     * by behaviour (ablating the previous-token head breaks the induction head). Reading the saved model
     * again with --model gives the same numbers, and the reported score is the library's K-composition.
     */
    @Test
    void inductionHeadKComposesWithThePreviousTokenHead() throws Exception {
        Path out = tmp.resolve("induction");
        MainTest.Result r = MainTest.run("reproduce", "induction", "--out", out.toString());
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(Files.readString(out.resolve("report.json")));
        for (JsonNode f : j.get("findings")) assertThat(f.get("matched").asBoolean()).as(f.toString()).isTrue();
        JsonNode pair = j.get("pair");
        assertThat(pair.get("k_rank").asInt()).isEqualTo(1);
        assertThat(pair.get("k_z").asDouble()).isGreaterThan(5);
        assertThat(pair.get("induction_score").asDouble()).isGreaterThanOrEqualTo(0.5);
        assertThat(pair.get("induction_score_without_previous").asDouble()).isLessThan(pair.get("induction_score").asDouble() / 2);
        assertThat(pair.get("k").asDouble()).isGreaterThan(pair.get("runner_up").get("k").asDouble());
        assertThat(j.get("composition")).hasSize(4);
        assertThat(j.get("heads")).hasSize(4);
        assertThat(Files.readString(out.resolve("report.md"))).contains("**MATCHED**", "| **L0H", "circuits.html");
        assertThat(Files.readString(out.resolve("circuits.html"))).contains("K-composition", "L0H0", "L1H1");

        // the score in the report is ‖W_OV^prev · (W_QK^ind)ᵀ‖_F / (‖W_OV^prev‖_F ‖W_QK^ind‖_F) of the saved weights
        ModelDirectory.LoadedModel m = ModelDirectory.read(out.resolve("model"));
        HeadCircuits c = new HeadCircuits(Gpt.fromWeights(m.config(), m.weights()));
        JsonNode p = pair.get("previous_token_head"), i = pair.get("induction_head");
        double k = Composition.score(c.ov(p.get(0).asInt(), p.get(1).asInt()), c.qk(i.get(0).asInt(), i.get(1).asInt()).transpose());
        assertThat(pair.get("k").asDouble()).isCloseTo(k, within(1e-4));

        Path again = tmp.resolve("again");
        MainTest.Result reread = MainTest.run("reproduce", "induction", "--model", out.resolve("model").toString(), "--out", again.toString());
        assertThat(reread.code()).as(reread.err()).isZero();
        JsonNode j2 = new ObjectMapper().readTree(Files.readString(again.resolve("report.json")));
        assertThat(j2.get("pair")).isEqualTo(pair);
        assertThat(again.resolve("model")).doesNotExist();

        // issue 19: detect gives the reading's induction score (one probe, named), circuits the same baseline (one draw count)
        Path det = tmp.resolve("detect");
        MainTest.Result d = MainTest.run("detect", "--model", out.resolve("model").toString(), "--out", det.toString());
        assertThat(d.code()).as(d.err()).isZero();
        JsonNode dj = new ObjectMapper().readTree(det.resolve("detect.json").toFile());
        assertThat(dj.get("induction").get(i.get(0).asInt()).get(i.get(1).asInt()).asDouble()).isCloseTo(pair.get("induction_score").asDouble(), within(1e-9));
        assertThat(j.get("probe").asText()).isEqualTo(dj.get("probe").asText().replace(" (the standard probe)", ""));
        MainTest.Result circuits = MainTest.run("circuits", "--model", out.resolve("model").toString(), "--json");
        assertThat(circuits.code()).as(circuits.err()).isZero();
        JsonNode cj = new ObjectMapper().readTree(circuits.out());
        assertThat(cj.get("baseline_draws").asInt()).isEqualTo(j.get("baseline").get("k").get("draws").asInt());
        assertThat(cj.get("baseline").get("k").asDouble()).isCloseTo(j.get("baseline").get("k").get("mean").asDouble(), within(1e-9));
        assertThat(cj.get("baseline_std").get("k").asDouble()).isCloseTo(j.get("baseline").get("k").get("std").asDouble(), within(1e-9));
    }

    @Test
    void inductionNeedsTwoLayers() {
        Path dir = tmp.resolve("one-layer");
        GptConfig c = new GptConfig(8, 16, 16, 1, 2, 0, 1e-5f, false, GptConfig.Norm.PRE, GptConfig.Mlp.NONE, GptConfig.Positional.LEARNED);
        ModelDirectory.write(dir, c, Gpt.create(c, 1).parameters());
        MainTest.Result r = MainTest.run("reproduce", "induction", "--model", dir.toString(), "--out", tmp.resolve("x").toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("at least 2").doesNotContain("Exception");
    }

    @Test
    void badStepsAreAUsageError() {
        assertThat(MainTest.run("reproduce", "bigram", "--steps", "3", "--out", tmp.toString()).code()).isEqualTo(2);
    }
}
