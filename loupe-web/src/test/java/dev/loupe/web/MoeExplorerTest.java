package dev.loupe.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.loupe.model.GptConfig;
import dev.loupe.model.MoeSettings;
import dev.loupe.tokens.CharTokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The explorer serves mixture-of-experts models: its direct logit attribution has a term per expert, and they add up. */
class MoeExplorerTest {
    @Test
    void directLogitAttributionHasATermPerExpert(@TempDir Path tmp) throws Exception {
        CharTokenizer tok = CharTokenizer.fromCorpus(TestModels.ALPHABET);
        Path dir = TestModels.write(tmp.resolve("m"), GptConfig.gpt2(tok.vocabSize(), 16, 32, 2, 4).withMoe(MoeSettings.of(4, 2, 16)), tok);
        ObjectMapper om = new ObjectMapper();
        HttpClient http = HttpClient.newHttpClient();
        try (ExplorerServer server = ExplorerServer.start(ExplorerModel.open(dir), "127.0.0.1", 0, 16)) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(server.url().resolve("/api/analyze"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\": \"ab cab\"}")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            String run = om.readTree(r.body()).get("run").asText();
            JsonNode dla = om.readTree(http.send(HttpRequest.newBuilder(server.url().resolve("/api/runs/" + run + "/dla")).build(),
                    HttpResponse.BodyHandlers.ofString()).body());
            double total = dla.get("ln_final_bias_term").asDouble();
            int experts = 0;
            for (JsonNode c : dla.get("components")) {
                total += c.get("attribution").asDouble();
                if (c.get("kind").asText().equals("expert")) {
                    experts++;
                    assertThat(c.get("label").asText()).isEqualTo("L" + c.get("layer").asInt() + "E" + c.get("expert").asInt());
                }
                assertThat(c.get("kind").asText()).isNotEqualTo("mlp");
            }
            assertThat(experts).isEqualTo(2 * 4);
            assertThat(total).isCloseTo(dla.get("logit").asDouble(), within(1e-3));
        }
    }
}
