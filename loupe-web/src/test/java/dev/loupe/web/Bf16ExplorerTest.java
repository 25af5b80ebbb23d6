package dev.loupe.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.loupe.analysis.circuits.HeadCircuits;
import dev.loupe.model.GptConfig;
import dev.loupe.model.MoeSettings;
import dev.loupe.model.WeightFormat;
import dev.loupe.sae.SaeSplice;
import dev.loupe.tokens.CharTokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * {@code loupe serve --weights bf16}: the explorer over a model held in bfloat16 answers every API
 * endpoint the float32 one does — model, analyze, attention, lens, DLA, circuits (weight-only: read
 * through the exact widening of the bfloat16 weights), routing of a mixture, a highway model's gates
 * (its circuits refuse with the float32 model's one 400), an SAE's features — and
 * its numbers are the bfloat16 model's, within bfloat16 rounding of the float32 model's.
 */
class Bf16ExplorerTest {
    static final ObjectMapper OM = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final String PROMPT = "the cat sat on the mat. the cat";

    static HttpResponse<String> get(ExplorerServer s, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(s.url().resolve(path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode ok(ExplorerServer s, String path) throws Exception {
        HttpResponse<String> r = get(s, path);
        assertThat(r.statusCode()).as(path + ": " + r.body()).isEqualTo(200);
        return OM.readTree(r.body());
    }

    static String analyse(ExplorerServer s, String prompt) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(s.url().resolve("/api/analyze"))
                .POST(HttpRequest.BodyPublishers.ofString(OM.writeValueAsString(OM.createObjectNode().put("prompt", prompt)))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return OM.readTree(r.body()).get("run").asText();
    }

    @Test
    void everyEndpointAnswersAndCircuitsAreTheBf16ModelsWithinRoundingOfFloat32(@TempDir Path tmp) throws Exception {
        Path dir = TestModels.small(tmp.resolve("model"), 32, 2, 4);
        ExplorerModel half = ExplorerModel.open(dir, false, WeightFormat.BF16), full = ExplorerModel.open(dir, false, WeightFormat.F32);
        assertThat(half.gpt().weightFormat()).isEqualTo(WeightFormat.BF16);
        assertThat(full.gpt().gradients()).as("the explorer never trains: float32 weights held once").isEmpty();
        try (ExplorerServer b = ExplorerServer.start(half, "127.0.0.1", 0, 32);
             ExplorerServer f = ExplorerServer.start(full, "127.0.0.1", 0, 32)) {
            assertThat(ok(b, "/api/model").get("weights").asText()).isEqualTo("bf16");
            assertThat(ok(f, "/api/model").get("weights").asText()).isEqualTo("f32");
            String run = analyse(b, PROMPT);
            int t = half.tokenizer().encode(PROMPT).length;
            assertThat(get(b, "/api/runs/" + run + "/attention/1").body()).isNotEmpty();
            JsonNode head = ok(b, "/api/runs/" + run + "/attention/1/3");
            assertThat(head.get("pattern")).hasSize(t);
            assertThat(ok(b, "/api/runs/" + run + "/lens").toString()).isNotEmpty();
            JsonNode dla = ok(b, "/api/runs/" + run + "/dla");
            double total = dla.get("ln_final_bias_term").asDouble();
            for (JsonNode c : dla.get("components")) total += c.get("attribution").asDouble();
            assertThat(total).isCloseTo(dla.get("logit").asDouble(), within(1e-3));

            JsonNode cb = ok(b, "/api/circuits"), cf = ok(f, "/api/circuits");
            HeadCircuits circuits = new HeadCircuits(half.gpt());
            for (int l = 0; l < 2; l++) {
                for (int h = 0; h < 4; h++) {
                    double score = cb.get("copying").get(l).get(h).asDouble();
                    assertThat(score).isEqualTo(circuits.ovCopyingScore(l, h));
                    assertThat(score).isCloseTo(cf.get("copying").get(l).get(h).asDouble(), within(0.05));
                }
            }
            for (String kind : new String[] {"q", "k", "v"}) {
                JsonNode mb = cb.get("composition").get(kind), mf = cf.get("composition").get(kind);
                assertThat(mb.get(0).get(4).asDouble()).isCloseTo(mf.get(0).get(4).asDouble(), within(0.05));
            }
            assertThat(cb.get("detectors").get("probe").asText()).isEqualTo(cf.get("detectors").get("probe").asText());
        }
    }

    @Test
    void aMixtureRoutesAGatedModelShowsItsGatesAndAnSaesFeaturesAnswerInBf16(@TempDir Path tmp) throws Exception {
        CharTokenizer tok = CharTokenizer.fromCorpus(TestModels.ALPHABET);
        Path moe = TestModels.write(tmp.resolve("moe"), GptConfig.gpt2(tok.vocabSize(), 16, 32, 2, 4).withMoe(MoeSettings.of(4, 2, 16)), tok);
        try (ExplorerServer s = ExplorerServer.start(ExplorerModel.open(moe, false, WeightFormat.BF16), "127.0.0.1", 0, 16)) {
            String run = analyse(s, "ab cab");
            JsonNode routing = ok(s, "/api/runs/" + run + "/routing");
            assertThat(routing.get("enabled").asBoolean()).isTrue();
            assertThat(routing.get("layers")).hasSize(2);
            assertThat(ok(s, "/api/runs/" + run + "/dla").get("components").size()).isGreaterThan(0);
            assertThat(ok(s, "/api/circuits").get("copying")).hasSize(2);
        }
        Path gated = HighwayExplorerTest.highwayModel(tmp.resolve("hw"));
        try (ExplorerServer s = ExplorerServer.start(ExplorerModel.open(gated, false, WeightFormat.BF16), "127.0.0.1", 0, 32)) {
            String run = analyse(s, "the cat sat");
            assertThat(ok(s, "/api/runs/" + run + "/highway").get("rows")).hasSize(4);
            HttpResponse<String> circuits = get(s, "/api/circuits");   // as in float32: weight-only circuits do not apply
            assertThat(circuits.statusCode()).isEqualTo(400);
            assertThat(circuits.body()).contains("highway gates");
        }
        ExplorerModel m = ExplorerModel.open(TestModels.small(tmp.resolve("model"), 64, 2, 4), false, WeightFormat.BF16);
        try (SaeSplice splice = SaeSplice.attach(m.gpt(), FeaturesViewTest.sae("blocks.1.hook_resid_pre", 32), true);
             ExplorerServer s = ExplorerServer.start(m, "127.0.0.1", 0, 64, splice, null)) {
            HttpResponse<String> perToken = HTTP.send(HttpRequest.newBuilder(s.url().resolve("/api/features"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\": \"the cat\"}")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(perToken.statusCode()).as(perToken.body()).isEqualTo(200);
            assertThat(ok(s, "/api/features/7").path("logits_positive")).hasSize(10);
        }
    }
}
