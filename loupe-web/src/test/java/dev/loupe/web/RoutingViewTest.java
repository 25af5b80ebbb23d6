package dev.loupe.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.model.MoeSettings;
import dev.loupe.model.io.ModelDirectory;
import dev.loupe.tokens.CharTokenizer;
import dev.loupe.tokens.Tokenizers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** GET /api/runs/{id}/routing: R over the prompt, RᵀR consistent with it, the load per MoE layer; a dense model says it has none. */
class RoutingViewTest {
    static final HttpClient http = HttpClient.newHttpClient();
    static final ObjectMapper om = new ObjectMapper();

    static JsonNode get(ExplorerServer s, String path) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(s.url().resolve(path)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return om.readTree(r.body());
    }

    static String analyse(ExplorerServer s, String prompt) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(s.url().resolve("/api/analyze"))
                .POST(HttpRequest.BodyPublishers.ofString(om.createObjectNode().put("prompt", prompt).toString())).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return om.readTree(r.body()).get("run").asText();
    }

    @Test
    void routingOfAMoeModelOverThePrompt(@TempDir Path tmp) throws Exception {
        CharTokenizer tok = CharTokenizer.fromCorpus(TestModels.ALPHABET);
        GptConfig c = GptConfig.gpt2(tok.vocabSize(), 16, 32, 3, 4)
                .withMoe(new MoeSettings(4, 2, 16, MoeSettings.Router.SOFTMAX_TOPK, 0.01f, 0.001f, null, List.of(1, 2)));
        Path dir = tmp.resolve("moe");
        ModelDirectory.write(dir, c, Gpt.create(c, 2).parameters());
        Tokenizers.save(tok, dir);
        try (ExplorerServer s = ExplorerServer.start(ExplorerModel.open(dir), "127.0.0.1", 0, 16)) {
            JsonNode j = get(s, "/api/runs/" + analyse(s, "the cat sat.") + "/routing");
            assertThat(j.get("enabled").asBoolean()).isTrue();
            assertThat(j.get("experts").asInt()).isEqualTo(4);
            assertThat(j.get("layers")).hasSize(2);
            JsonNode l = j.get("layers").get(0);
            assertThat(l.get("layer").asInt()).isEqualTo(1);
            JsonNode r = l.get("routing");
            assertThat(r).hasSize(12);
            double[][] gram = new double[4][4];
            long slots = 0;
            for (JsonNode row : r) {
                double sum = 0;
                int kept = 0;
                for (int e = 0; e < 4; e++) {
                    double v = row.get(e).asDouble();
                    sum += v;
                    if (v > 0) kept++;
                    for (int f = 0; f < 4; f++) gram[e][f] += v * row.get(f).asDouble();
                }
                assertThat(sum).isCloseTo(1, within(1e-5));      // kept weights renormalised
                assertThat(kept).isEqualTo(2);                      // top-2
                slots += kept;
            }
            for (int e = 0; e < 4; e++) {
                for (int f = 0; f < 4; f++) assertThat(l.get("gram").get(e).get(f).asDouble()).isCloseTo(gram[e][f], within(1e-5));
            }
            long counted = 0;
            for (JsonNode n : l.get("counts")) counted += n.asLong();
            assertThat(counted).isEqualTo(slots);
            assertThat(l.get("entropy_nats").asDouble()).isBetween(0.0, Math.log(4) + 1e-9);
            assertThat(l.get("cosine").get(0).get(0).asDouble()).isIn(0.0, 1.0);
        }
    }

    @Test
    void aDenseModelHasNoRoutingAndThePageLoadsTheView(@TempDir Path tmp) throws Exception {
        try (ExplorerServer s = ExplorerServer.start(ExplorerModel.open(TestModels.small(tmp.resolve("m"), 16, 2, 4)), "127.0.0.1", 0, 16)) {
            assertThat(get(s, "/api/runs/" + analyse(s, "abc") + "/routing").toString()).isEqualTo("{\"enabled\":false}");
            HttpResponse<String> js = http.send(HttpRequest.newBuilder(s.url().resolve("/routing.js")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(js.statusCode()).isEqualTo(200);
            assertThat(js.headers().firstValue("Content-Type")).hasValue("text/javascript; charset=utf-8");
            assertThat(js.body()).contains("/routing");
            String page = http.send(HttpRequest.newBuilder(s.url()).build(), HttpResponse.BodyHandlers.ofString()).body();
            assertThat(page).contains("<script src=\"/routing.js\"></script>", "id=\"routing-section\"");
        }
    }
}
