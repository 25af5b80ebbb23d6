package dev.loupe.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.loupe.model.AttentionKind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The explorer serves linear-attention models: their patterns are the effective mixing weights (rows sum to 1). */
class AttentionKindExplorerTest {
    @Test
    void servesLinearAttentionPatterns(@TempDir Path tmp) throws Exception {
        Path dir = TestModels.small(tmp.resolve("m"), 16, 2, 4, AttentionKind.linear(AttentionKind.FeatureMap.ELU1, true));
        ObjectMapper om = new ObjectMapper();
        HttpClient http = HttpClient.newHttpClient();
        try (ExplorerServer server = ExplorerServer.start(ExplorerModel.open(dir), "127.0.0.1", 0, 16)) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(server.url().resolve("/api/analyze"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\": \"ab cab\"}")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            JsonNode a = om.readTree(r.body());
            String run = a.get("run").asText();
            JsonNode head = om.readTree(http.send(HttpRequest.newBuilder(server.url().resolve("/api/runs/" + run + "/attention/1/2")).build(),
                    HttpResponse.BodyHandlers.ofString()).body());
            JsonNode rows = head.get("pattern");
            assertThat(rows).hasSize(a.get("tokens").size());
            for (int q = 0; q < rows.size(); q++) {
                double sum = 0;
                for (JsonNode w : rows.get(q)) sum += w.asDouble();
                assertThat(sum).as("row %d", q).isCloseTo(1, within(1e-4));
            }
        }
    }
}
