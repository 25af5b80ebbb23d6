package dev.loupe.cli.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.loupe.analysis.decomposition.ResidualDecomposition;
import dev.loupe.analysis.interventions.ExpertIntervention;
import dev.loupe.analysis.interventions.Intervention;
import dev.loupe.cli.MainTest;
import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.model.MoeSettings;
import dev.loupe.model.io.ModelDirectory;
import dev.loupe.tensor.Tensor;
import dev.loupe.tokens.CharTokenizer;
import dev.loupe.tokens.Tokenizers;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static dev.loupe.cli.MainTest.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The commands on a mixture-of-experts model: those that can read it give the library's numbers
 * (hooks, attribute with a term per expert, ablate --experts / --force-expert, lens, attention,
 * circuits); those that cannot say so in one line (trace, circuits --fold-ln), never a stack trace.
 */
class MoeCommandsTest {
    @TempDir
    Path tmp;
    Path dir;
    Gpt gpt;
    final CharTokenizer tok = CharTokenizer.fromCorpus("abcdefgh");
    static final String TEXT = "abcdabcdh";

    @BeforeEach
    void tinyMixture() {
        GptConfig c = new GptConfig(tok.vocabSize(), 16, 16, 2, 2, 32, 1e-5f, true, GptConfig.Norm.PRE,
                GptConfig.Mlp.GELU, GptConfig.Positional.LEARNED).withMoe(MoeSettings.of(4, 2, 8));
        gpt = Gpt.create(c, 5);
        for (Tensor t : gpt.parameters().values()) {
            float[] d = t.contiguousData();
            for (int i = 0; i < d.length; i++) d[i] *= 10;
        }
        dir = tmp.resolve("m");
        ModelDirectory.write(dir, c, gpt.parameters());
        Tokenizers.save(tok, dir);
    }

    @Test
    void hooksListsTheRouterAndExpertHookPoints() {
        MainTest.Result r = run("hooks", "--model", dir.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("blocks.1.mlp.hook_router_logits").contains("blocks.0.mlp.experts.3.hook_post")
                .contains("[n_e, 8]").doesNotContain("blocks.0.mlp.hook_post ");
    }

    @Test
    void attributeGivesEachExpertItsTermAndAblateKnocksExpertsOutOrForcesThem() throws Exception {
        int[] ids = tok.encode(TEXT);
        MainTest.Result a = run("attribute", "--model", dir.toString(), "--text", TEXT, "--json");
        assertThat(a.code()).as(a.err()).isZero();
        assertThat(a.out()).contains("L0E0").contains("L1E3").doesNotContain("L0MLP");

        MainTest.Result r = run("ablate", "--model", dir.toString(), "--text", TEXT, "--experts", "L1E2", "--out", tmp.resolve("o").toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("with L1E2 ablated");
        JsonNode root = new ObjectMapper().readTree(tmp.resolve("o/ablate.json").toFile());
        assertThat(root.get("after").asDouble()).isCloseTo(Intervention.loss(gpt, ids, ExpertIntervention.zero(gpt.config(), 1, 2)), within(1e-9));

        MainTest.Result f = run("ablate", "--model", dir.toString(), "--text", TEXT, "--force-expert", "L0E1");
        assertThat(f.code()).as(f.err()).isZero();
        double forced = Intervention.loss(gpt, ids, ExpertIntervention.force(gpt.config(), 0, 1));
        assertThat(f.out()).contains("with L0E1 forced").contains(String.format(java.util.Locale.ROOT, "%.4f", forced));

        MainTest.Result mean = run("ablate", "--model", dir.toString(), "--text", TEXT, "--experts", "L0E1", "--mode", "mean");
        assertThat(mean.code()).isEqualTo(2);
        assertThat(mean.err()).contains("use --mode zero");
        MainTest.Result missing = run("ablate", "--model", dir.toString(), "--text", TEXT, "--experts", "L0E9");
        assertThat(missing.code()).isEqualTo(1);
        assertThat(missing.err()).contains("experts 0–3").doesNotContain("Exception");
        MainTest.Result neuron = run("ablate", "--model", dir.toString(), "--text", TEXT, "--neurons", "L0N1");
        assertThat(neuron.code()).isEqualTo(1);
        assertThat(neuron.err()).contains("name an expert");
    }

    @Test
    void residualStreamCommandsRunAndPerNeuronCommandsRefuseInOneLine() {
        for (String[] ok : List.of(new String[] {"lens", "--model", dir.toString(), "--text", TEXT},
                new String[] {"attention", "--model", dir.toString(), "--text", TEXT, "--layer", "1", "--head", "0", "--out", tmp.resolve("a.svg").toString()},
                new String[] {"circuits", "--model", dir.toString(), "--top", "2"},
                new String[] {"logits", "--model", dir.toString(), "--text", TEXT, "--top", "2"},
                new String[] {"patch", "--model", dir.toString(), "--clean", "abcdabcd", "--corrupted", "abcdabce"},
                new String[] {"generate", "--model", dir.toString(), "--prompt", "abc", "--max-tokens", "5", "--seed", "1"})) {
            MainTest.Result r = run(ok);
            assertThat(r.code()).as(String.join(" ", ok) + ": " + r.err()).isZero();
        }
        MainTest.Result trace = run("trace", "--model", dir.toString(), "--prompt", "abc");
        assertThat(trace.code()).isEqualTo(2);
        assertThat(trace.err()).contains("mixture-of-experts").doesNotContain("Exception");
        MainTest.Result fold = run("circuits", "--model", dir.toString(), "--fold-ln");
        assertThat(fold.code()).isEqualTo(1);
        assertThat(fold.err()).contains("router").doesNotContain("Exception");
    }

    @Test
    void theAttributionsOfTheExpertsAreTheLibrarysDecomposition() throws Exception {
        int[] ids = tok.encode(TEXT);
        int target = tok.encode("h")[0];
        ResidualDecomposition rd = ResidualDecomposition.compute(gpt, ids);
        double[] attr = rd.directLogitAttribution(ids.length - 1, target);
        MainTest.Result a = run("attribute", "--model", dir.toString(), "--text", TEXT, "--target", "h", "--json");
        assertThat(a.code()).as(a.err()).isZero();
        JsonNode comps = new ObjectMapper().readTree(a.out()).get("components");
        int experts = 0;
        for (int k = 0; k < comps.size(); k++) {
            JsonNode c = comps.get(k);
            assertThat(c.get("label").asText()).isEqualTo(rd.components().get(k).label());
            assertThat(c.get("attribution").asDouble()).isCloseTo(attr[k], within(1e-9));
            if (c.get("kind").asText().equals("expert")) {
                experts++;
                assertThat(c.get("label").asText()).isEqualTo("L" + c.get("layer").asInt() + "E" + c.get("expert").asInt());
            }
        }
        assertThat(experts).isEqualTo(8);
    }
}
