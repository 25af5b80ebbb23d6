package dev.loupe.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 20's explorer findings: DNS rebinding and cross-site requests refused, HEAD answered
 * quietly, half-sent requests closed, runs dropped for memory computed again on follow-up.
 */
class ExplorerServerSecurityTest {
    @TempDir
    static Path tmp;
    static ExplorerModel model;
    static ExplorerServer server;
    static final ObjectMapper om = new ObjectMapper();

    @BeforeAll
    static void start() {
        model = ExplorerModel.open(TestModels.small(tmp.resolve("model"), 16, 2, 4));
        server = ExplorerServer.start(model, "127.0.0.1", 0, 16);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /** The whole response to a request written byte for byte (headers chosen freely, unlike HttpClient). */
    static String raw(ExplorerServer s, String request) throws IOException {
        try (Socket sock = new Socket("127.0.0.1", s.port())) {
            sock.setSoTimeout(20_000);
            OutputStream out = sock.getOutputStream();
            out.write(request.getBytes(StandardCharsets.UTF_8));
            out.flush();
            return new String(sock.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    static String get(String path, String... headers) throws IOException {
        return raw(server, "GET " + path + " HTTP/1.1\r\n" + String.join("", headers) + "Connection: close\r\n\r\n");
    }

    static String post(String path, String body, String... headers) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        return raw(server, "POST " + path + " HTTP/1.1\r\n" + String.join("", headers) + "Content-Length: " + b.length
                + "\r\nConnection: close\r\n\r\n" + body);
    }

    static String status(String response) {
        return response.lines().findFirst().orElse("");
    }

    @Test
    void onlyLoopbackHostsAreAnswered() throws IOException {
        int port = server.port();
        for (String host : List.of("127.0.0.1:" + port, "localhost:" + port, "LOCALHOST", "127.0.0.2:" + port, "[::1]:" + port)) {
            assertThat(status(get("/api/model", "Host: " + host + "\r\n"))).as(host).contains(" 200 ");
        }
        for (String host : List.of("evil.example", "evil.example:" + port, "192.168.1.7:" + port, "localhost.evil.example",
                "127.0.0.1.nip.io:" + port)) {
            String r = get("/api/model", "Host: " + host + "\r\n");
            assertThat(status(r)).as(host).contains(" 403 ");
            assertThat(r).contains("DNS-rebinding");
        }
    }

    @Test
    void crossSiteRequestsAreRefusedAndSameOriginOnesAnswered() throws IOException {
        String host = "Host: 127.0.0.1:" + server.port() + "\r\n";
        String prompt = "{\"prompt\": \"abc\"}";
        // a cross-site form POST (text/plain needs no preflight)
        String r = post("/api/analyze", prompt, host, "Origin: http://evil.example\r\n", "Content-Type: text/plain\r\n");
        assertThat(status(r)).contains(" 403 ");
        assertThat(status(post("/api/analyze", prompt, host, "Origin: null\r\n"))).contains(" 403 ");
        assertThat(status(post("/api/analyze", prompt, host, "Sec-Fetch-Site: cross-site\r\n"))).contains(" 403 ");
        assertThat(status(get("/api/model", host, "Sec-Fetch-Site: same-site\r\n"))).contains(" 403 ");
        assertThat(status(post("/api/analyze", prompt, host, "Origin: http://localhost:" + server.port() + "\r\n")))
                .as("another origin, even on this machine").contains(" 403 ");
        // the page itself, and scripts without Origin
        assertThat(status(post("/api/analyze", prompt, host, "Origin: http://127.0.0.1:" + server.port() + "\r\n",
                "Sec-Fetch-Site: same-origin\r\n", "Content-Type: application/json\r\n"))).contains(" 200 ");
        assertThat(status(post("/api/analyze", prompt, host))).contains(" 200 ");
        // a link to the explorer from another site still opens the page; its API stays closed to that site
        assertThat(status(get("/", host, "Sec-Fetch-Site: cross-site\r\n", "Sec-Fetch-Mode: navigate\r\n"))).contains(" 200 ");
        assertThat(status(get("/", "Host: evil.example\r\n"))).contains(" 403 ");
    }

    @Test
    void headIsAnsweredWithoutBodyOrJdkWarning() throws IOException {
        Logger jdk = Logger.getLogger("com.sun.net.httpserver");
        List<LogRecord> warnings = new ArrayList<>();
        Handler h = new Handler() {
            @Override public void publish(LogRecord r) { if (r.getLevel().intValue() >= Level.WARNING.intValue()) warnings.add(r); }
            @Override public void flush() {}
            @Override public void close() {}
        };
        jdk.addHandler(h);
        try {
            String host = "Host: 127.0.0.1\r\n";
            String page = raw(server, "HEAD / HTTP/1.1\r\n" + host + "Connection: close\r\n\r\n");
            assertThat(status(page)).contains(" 200 ");
            String length = page.lines().filter(l -> l.toLowerCase().startsWith("content-length:")).findFirst().orElseThrow();
            assertThat(Integer.parseInt(length.substring(length.indexOf(':') + 1).strip())).isPositive();
            assertThat(page).endsWith("\r\n\r\n");   // headers only
            assertThat(status(raw(server, "HEAD /api/model HTTP/1.1\r\n" + host + "Connection: close\r\n\r\n"))).contains(" 200 ");
            String wrong = raw(server, "HEAD /api/analyze HTTP/1.1\r\n" + host + "Connection: close\r\n\r\n");
            assertThat(status(wrong)).contains(" 405 ");
            assertThat(wrong).containsIgnoringCase("Allow: POST");
            assertThat(warnings).extracting(LogRecord::getMessage).isEmpty();
        } finally {
            jdk.removeHandler(h);
        }
    }

    @Test
    void halfSentRequestsAreClosed() throws IOException {
        long limit = ExplorerServer.REQUEST_TIMEOUT_SECONDS;
        assertThat(limit).isPositive();
        for (String partial : List.of("GET /api/model HTTP/1.1\r\nHost: 127.0.0.1\r\n",
                "POST /api/analyze HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n{\"prompt\"")) {
            try (Socket sock = new Socket("127.0.0.1", server.port())) {
                sock.setSoTimeout((int) (limit * 1000 + 10_000));
                sock.getOutputStream().write(partial.getBytes(StandardCharsets.US_ASCII));
                sock.getOutputStream().flush();
                long t0 = System.nanoTime();
                InputStream in = sock.getInputStream();
                try {
                    in.readAllBytes();   // returns when the server closes the connection
                } catch (SocketTimeoutException e) {
                    throw new AssertionError("a half-sent request was still held after " + (limit + 10) + " s", e);
                } catch (IOException e) {
                    // reset by the server: closed as well
                }
                assertThat((System.nanoTime() - t0) / 1e9).as(partial).isLessThan(limit + 10);
            }
        }
    }

    @Test
    void followUpsForRunsDroppedForMemoryAreComputedAgain() throws Exception {
        try (ExplorerServer small = ExplorerServer.start(model, "127.0.0.1", 0, 16, Set.of(), 1)) {   // keeps only the newest run
            HttpClient http = HttpClient.newHttpClient();
            List<String> ids = new ArrayList<>();
            List<byte[]> first = new ArrayList<>();
            for (String prompt : List.of("abcabc", "hello world", "the cat sat")) {
                HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(small.url().resolve("/api/analyze"))
                        .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\": \"" + prompt + "\"}")).build(),
                        HttpResponse.BodyHandlers.ofByteArray());
                JsonNode a = om.readTree(r.body());
                ids.add(a.get("run").asText());
                first.add(http.send(HttpRequest.newBuilder(small.url().resolve("/api/runs/" + ids.getLast() + "/attention/1")).build(),
                        HttpResponse.BodyHandlers.ofByteArray()).body());
            }
            for (int i = 0; i < ids.size(); i++) {
                HttpResponse<byte[]> again = http.send(HttpRequest.newBuilder(small.url().resolve("/api/runs/" + ids.get(i) + "/attention/1")).build(),
                        HttpResponse.BodyHandlers.ofByteArray());
                assertThat(again.statusCode()).as(ids.get(i)).isEqualTo(200);
                assertThat(again.body()).as("recomputed " + ids.get(i)).isEqualTo(first.get(i));
                HttpResponse<byte[]> lens = http.send(HttpRequest.newBuilder(small.url().resolve("/api/runs/" + ids.get(i) + "/lens")).build(),
                        HttpResponse.BodyHandlers.ofByteArray());
                assertThat(lens.statusCode()).isEqualTo(200);
            }
            assertThat(http.send(HttpRequest.newBuilder(small.url().resolve("/api/runs/r999/lens")).build(),
                    HttpResponse.BodyHandlers.ofByteArray()).statusCode()).isEqualTo(404);
        }
    }

    /** Issue 20: with 12–20 parallel clients, 40–65 % of follow-ups got 404 "no run rN". */
    @Test
    void parallelClientsNeverLoseTheirRuns() throws Exception {
        try (ExplorerServer small = ExplorerServer.start(model, "127.0.0.1", 0, 16, Set.of(), 1);
             var pool = java.util.concurrent.Executors.newFixedThreadPool(16)) {
            HttpClient http = HttpClient.newHttpClient();
            List<java.util.concurrent.Future<List<Integer>>> clients = new ArrayList<>();
            for (int c = 0; c < 16; c++) {
                String prompt = "client " + (char) ('a' + c) + " abcabc";
                clients.add(pool.submit(() -> {
                    HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(small.url().resolve("/api/analyze"))
                            .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\": \"" + prompt + "\"}")).build(),
                            HttpResponse.BodyHandlers.ofByteArray());
                    String run = om.readTree(r.body()).get("run").asText();
                    List<Integer> codes = new ArrayList<>(List.of(r.statusCode()));
                    for (String follow : List.of("/attention/0", "/attention/1/2", "/lens", "/dla")) {
                        codes.add(http.send(HttpRequest.newBuilder(small.url().resolve("/api/runs/" + run + follow)).build(),
                                HttpResponse.BodyHandlers.discarding()).statusCode());
                    }
                    return codes;
                }));
            }
            for (var f : clients) assertThat(f.get()).containsOnly(200);
        }
    }

    @Test
    void runStoreKeepsRunsWithinItsMemoryBudget() {
        PromptRun a = PromptRun.analyse("a", model, "abcabcabc", 16);
        long one = a.bytes();
        RunStore store = new RunStore(3 * one);
        for (int i = 0; i < 10; i++) store.put(PromptRun.analyse("r" + i, model, "abcabcabc", 16));
        assertThat(store.size()).isEqualTo(3);
        assertThat(store.bytes()).isLessThanOrEqualTo(3 * one);
        assertThat(store.get("r9")).isNotNull();
        assertThat(store.get("r0")).isNull();
        assertThat(store.prompt("r0").ids()).hasSize(9);
        // a run grows when its lens is computed: the next access accounts for it
        store.get("r9").lens();
        store.get("r9");
        assertThat(store.bytes()).isLessThanOrEqualTo(3 * one + store.get("r9").bytes());
    }

    @Test
    void listeningOnAllInterfacesIsReportedWithRealAddresses() {
        try (ExplorerServer all = ExplorerServer.start(model, "0.0.0.0", 0, 16)) {
            assertThat(all.exposed()).isTrue();
            assertThat(all.networkUrls()).allSatisfy(u -> assertThat(u.getHost()).isNotEqualTo("127.0.0.1").isNotEqualTo("0.0.0.0"));
        }
        assertThat(server.exposed()).isFalse();
        assertThat(server.networkUrls()).isEmpty();
    }
}
