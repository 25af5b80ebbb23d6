package dev.loupe.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.loupe.LoupeException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ExplorerServerTest {
    @TempDir
    static Path tmp;
    static ExplorerServer server;
    static final HttpClient http = HttpClient.newHttpClient();
    static final ObjectMapper om = new ObjectMapper();

    @BeforeAll
    static void start() {
        Path dir = TestModels.small(tmp.resolve("model"), 16, 2, 4);
        server = ExplorerServer.start(ExplorerModel.open(dir), "127.0.0.1", 0, 16);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static HttpResponse<byte[]> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(server.url().resolve(path)).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    static HttpResponse<byte[]> post(String path, byte[] body) throws Exception {
        return http.send(HttpRequest.newBuilder(server.url().resolve(path)).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    static JsonNode analyze(String prompt) throws Exception {
        HttpResponse<byte[]> r = post("/api/analyze", om.writeValueAsBytes(om.createObjectNode().put("prompt", prompt)));
        assertThat(r.statusCode()).as(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(200);
        return om.readTree(r.body());
    }

    /** Status of a request written byte for byte, so the path reaches the server exactly as typed. */
    static String rawStatusLine(String rawPath) throws IOException {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            OutputStream out = s.getOutputStream();
            out.write(("GET " + rawPath + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            String all = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            assertThat(all).doesNotContain("<project").doesNotContain("root:x:0");
            return all.lines().findFirst().orElse("");
        }
    }

    @Test
    void servesThePageAndItsAssets() throws Exception {
        HttpResponse<byte[]> page = get("/");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/html"));
        assertThat(new String(page.body(), StandardCharsets.UTF_8)).contains("<script src=\"/app.js\">");
        assertThat(get("/app.js").statusCode()).isEqualTo(200);
        assertThat(get("/style.css").statusCode()).isEqualTo(200);
    }

    @Test
    void everyScriptAndStylesheetThePageLoadsIsServedFromTheJar() throws Exception {
        String page = new String(get("/").body(), StandardCharsets.UTF_8);
        var refs = java.util.regex.Pattern.compile("(?:src|href)=\"([^\"]+)\"").matcher(page).results().map(m -> m.group(1)).toList();
        assertThat(refs).contains("/app.js", "/tokens.js", "/style.css");
        for (String ref : refs) {
            assertThat(ref).as("offline: no CDN").startsWith("/").doesNotStartWith("//");
            assertThat(get(ref).statusCode()).as(ref).isEqualTo(200);
        }
    }

    @Test
    void tokensPredictionsAndPatternsAgreeWithEachOther() throws Exception {
        JsonNode a = analyze("ab c\nab");
        assertThat(a.get("tokens")).hasSize(7);
        assertThat(a.get("tokens").get(2).get("display").asText()).isEqualTo("·");
        assertThat(a.get("tokens").get(4).get("display").asText()).isEqualTo("↵");
        assertThat(a.get("truncated").asBoolean()).isFalse();
        assertThat(a.get("head_scores").get("induction")).hasSize(2);
        assertThat(a.get("head_scores").get("previous_token").get(1)).hasSize(4);
        double sum = 0;
        for (JsonNode p : a.get("predictions")) sum += p.get("probability").asDouble();
        assertThat(sum).isLessThanOrEqualTo(1 + 1e-9);
        String run = a.get("run").asText();
        int heads = a.get("heads").asInt();
        for (int l = 0; l < a.get("layers").asInt(); l++) {
            byte[] bin = get("/api/runs/" + run + "/attention/" + l).body();
            assertThat(bin).hasSize(heads * 7 * 7 * 4);
            ByteBuffer b = ByteBuffer.wrap(bin).order(ByteOrder.LITTLE_ENDIAN);
            for (int h = 0; h < heads; h++) {
                JsonNode head = om.readTree(get("/api/runs/" + run + "/attention/" + l + "/" + h).body());
                for (int q = 0; q < 7; q++) {
                    double row = 0;
                    for (int k = 0; k < 7; k++) {
                        float w = b.getFloat(((h * 7 + q) * 7 + k) * 4);
                        assertThat((float) head.get("pattern").get(q).get(k).asDouble()).isEqualTo(w);
                        if (k > q) assertThat(w).as("causal mask").isZero();
                        row += w;
                    }
                    assertThat(row).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-5));   // softmax rows, float32 sums
                }
            }
        }
    }

    @Test
    void lensAndAttributionAnswer() throws Exception {
        JsonNode a = analyze("abcab");
        String run = a.get("run").asText();
        JsonNode lens = om.readTree(get("/api/runs/" + run + "/lens").body());
        assertThat(lens.get("labels")).hasSize(3);
        assertThat(lens.get("rows").get(2)).hasSize(5);
        // the last boundary is the model's own output: its top token at the last position is the top prediction
        assertThat(lens.get("rows").get(2).get(4).get(0).get("id").asInt()).isEqualTo(a.get("predictions").get(0).get("id").asInt());
        JsonNode dla = om.readTree(get("/api/runs/" + run + "/dla").body());
        assertThat(dla.get("target").get("id").asInt()).isEqualTo(a.get("predictions").get(0).get("id").asInt());
        double total = dla.get("ln_final_bias_term").asDouble();
        for (JsonNode c : dla.get("components")) total += c.get("attribution").asDouble();
        assertThat(total).isCloseTo(dla.get("logit").asDouble(), org.assertj.core.data.Offset.offset(1e-3));
        assertThat(get("/api/runs/" + run + "/dla?text=b").statusCode()).isEqualTo(200);
        assertThat(get("/api/runs/" + run + "/dla?text=ab").statusCode()).isEqualTo(400);
    }

    @Test
    void circuitsGiveEveryHeadACopyingScore() throws Exception {
        JsonNode c = om.readTree(get("/api/circuits").body());
        assertThat(c.get("copying")).hasSize(2);
        assertThat(c.get("copying").get(1)).hasSize(4);
        JsonNode k = c.get("composition").get("k");
        assertThat(k).hasSize(8);
        assertThat(k.get(0).get(4).isNumber()).isTrue();   // L0H0 → L1H0
        assertThat(k.get(4).get(0).isNull()).isTrue();     // no composition backwards
        assertThat(c.get("detectors").get("induction")).hasSize(2);
        for (JsonNode row : c.get("detectors").get("previous_token")) for (JsonNode v : row) assertThat(v.asDouble()).isBetween(0.0, 1.0);
    }

    /** Issue 19: the explorer's detector scores are the library's on the standard probe (what detect and the quickstart print), named. */
    @Test
    void detectorScoresAreTheStandardProbesAndSayWhichProbe() throws Exception {
        JsonNode det = om.readTree(get("/api/circuits").body()).get("detectors");
        var gpt = ExplorerModel.open(tmp.resolve("model")).gpt();
        var probe = dev.loupe.analysis.detectors.Probe.standard(gpt.config());
        var s = dev.loupe.analysis.detectors.HeadDetectors.on(gpt, probe);
        assertThat(det.get("probe").asText()).isEqualTo(probe.name());
        for (int l = 0; l < 2; l++) {
            for (int h = 0; h < 4; h++) {
                assertThat(det.get("induction").get(l).get(h).asDouble()).isCloseTo(s.induction()[l][h], org.assertj.core.data.Offset.offset(1e-9));
                assertThat(det.get("previous_token").get(l).get(h).asDouble()).isCloseTo(s.previousToken()[l][h], org.assertj.core.data.Offset.offset(1e-9));
            }
        }
    }

    /** /api/model offers the training sample kept beside the model (sample_prompt.txt), and says so; the vocabulary's span otherwise. */
    @Test
    void modelOffersTheTrainingSampleAsTheDefaultPrompt() throws Exception {
        JsonNode plain = om.readTree(get("/api/model").body());
        assertThat(plain.get("default_prompt_source").asText()).isEqualTo("vocabulary");
        assertThat(plain.get("default_prompt").asText()).isEqualTo(DefaultPrompt.of(ExplorerModel.open(tmp.resolve("model")).tokenizer(), 16));
        Path dir = TestModels.small(tmp.resolve("sampled"), 16, 1, 2);
        dev.loupe.model.io.SamplePrompt.write(dir, "abcab abcab");
        try (ExplorerServer s = ExplorerServer.start(ExplorerModel.open(dir), "127.0.0.1", 0, 16)) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(s.url().resolve("/api/model")).build(), HttpResponse.BodyHandlers.ofString());
            JsonNode m = om.readTree(r.body());
            assertThat(m.get("default_prompt").asText()).isEqualTo("abcab abcab");
            assertThat(m.get("default_prompt_source").asText()).isEqualTo("training text");
        }
    }

    /** A context of 3 (the grokking model's "a b =") cannot hold the repeated-token probe: said, not a failed request. */
    @Test
    void circuitsOfAThreeTokenModelSayWhyThereAreNoDetectorScores() throws Exception {
        ExplorerModel m = ExplorerModel.open(TestModels.small(tmp.resolve("ctx3"), 3, 1, 2));
        try (ExplorerServer s = ExplorerServer.start(m, "127.0.0.1", 0, 3)) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(s.url().resolve("/api/circuits")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            JsonNode det = om.readTree(r.body()).get("detectors");
            assertThat(det.get("unavailable").asText()).contains("context of 3 tokens");
            assertThat(det.has("induction")).isFalse();
            assertThat(om.readTree(r.body()).get("copying")).hasSize(1);
        }
    }

    @Test
    void promptScoresFindAHandMadeRepeat() throws Exception {
        // "abcabc": positions 3..5 repeat 0..2, so the scores are defined; every score is a weight sum in [0, 1]
        JsonNode s = analyze("abcabc").get("head_scores");
        for (String key : List.of("previous_token", "duplicate_token", "induction")) {
            for (JsonNode row : s.get(key)) for (JsonNode v : row) assertThat(v.asDouble()).as(key).isBetween(0.0, 1.0 + 1e-6);
        }
        JsonNode none = analyze("abc").get("head_scores");
        for (JsonNode row : none.get("induction")) for (JsonNode v : row) assertThat(v.asDouble()).isZero();
    }

    @Test
    void longPromptsAreCutWithANotice() throws Exception {
        JsonNode a = analyze("abcdefghijklmnopqrstuvwxyz");
        assertThat(a.get("truncated").asBoolean()).isTrue();
        assertThat(a.get("tokens")).hasSize(16);
        assertThat(a.get("tokens").get(15).get("text").asText()).isEqualTo("z");
        assertThat(a.get("notice").asText()).contains("26 tokens").contains("10 tokens were dropped");
    }

    @Test
    void refusesOversizedBadAndUnknownRequests() throws Exception {
        byte[] big = new byte[ExplorerServer.MAX_BODY + 1];
        java.util.Arrays.fill(big, (byte) 'a');
        assertThat(post("/api/analyze", big).statusCode()).isEqualTo(413);
        assertThat(post("/api/analyze", "not json".getBytes(StandardCharsets.UTF_8)).statusCode()).isEqualTo(400);
        assertThat(post("/api/analyze", "{\"prompt\": \"\"}".getBytes(StandardCharsets.UTF_8)).statusCode()).isEqualTo(400);
        assertThat(post("/api/analyze", "{\"prompt\": \"%%%\"}".getBytes(StandardCharsets.UTF_8)).statusCode()).isEqualTo(400);
        assertThat(get("/api/analyze").statusCode()).isEqualTo(405);
        assertThat(get("/api/nothing").statusCode()).isEqualTo(404);
        assertThat(get("/nothing.html").statusCode()).isEqualTo(404);
        assertThat(get("/api/runs/r999999/lens").statusCode()).isEqualTo(404);
        JsonNode a = analyze("abc");
        assertThat(get("/api/runs/" + a.get("run").asText() + "/attention/2").statusCode()).isEqualTo(404);
        assertThat(get("/api/runs/" + a.get("run").asText() + "/attention/0/4").statusCode()).isEqualTo(404);
    }

    @Test
    void noPathLeavesTheAssets() throws Exception {
        for (String p : List.of("/../pom.xml", "/..%2f..%2fpom.xml", "/%2e%2e/%2e%2e/pom.xml", "/static/../../../etc/passwd",
                "/%2e%2e%2f%2e%2e%2fetc%2fpasswd", "/..\\..\\pom.xml", "/app.js/../../pom.xml", "//etc/passwd")) {
            assertThat(rawStatusLine(p)).as(p).matches("HTTP/1\\.1 (400|404) .*");
        }
    }

    @Test
    void parallelRequestsGiveTheSameResultsAsSerialOnes() throws Exception {
        List<String> prompts = List.of("abcabc", "hello world", "the cat sat", "zzzz\nzz", "a.b,c d", "qwerty");
        List<String> serial = new ArrayList<>();
        for (String p : prompts) serial.add(fingerprint(p));
        try (ExecutorService pool = Executors.newFixedThreadPool(prompts.size())) {
            for (int round = 0; round < 2; round++) {   // 6 runs at once, well within the store's memory budget
                List<Future<String>> futures = new ArrayList<>();
                for (String p : prompts) futures.add(pool.submit((Callable<String>) () -> fingerprint(p)));
                for (int i = 0; i < futures.size(); i++) assertThat(futures.get(i).get()).isEqualTo(serial.get(i));
            }
        }
    }

    /** Predictions and every layer's patterns of one prompt, as text. */
    private static String fingerprint(String prompt) throws Exception {
        JsonNode a = analyze(prompt);
        StringBuilder sb = new StringBuilder(a.get("predictions").toString());
        for (int l = 0; l < 2; l++) sb.append(java.util.HexFormat.of().formatHex(get("/api/runs/" + a.get("run").asText() + "/attention/" + l).body()));
        return sb.toString();
    }

    @Test
    void aBadModelDirectoryFailsWithOneLine(@TempDir Path empty) throws Exception {
        assertThatThrownBy(() -> ExplorerModel.open(empty.resolve("missing"))).isInstanceOf(LoupeException.class)
                .hasMessageContaining("missing").hasMessageContaining("does not exist");
        Files.writeString(empty.resolve("config.json"), "{}");
        assertThatThrownBy(() -> ExplorerModel.open(empty)).isInstanceOf(LoupeException.class)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }
}
