package dev.loupe.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.loupe.LoupeException;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * {@code loupe serve}: the JDK's HTTP server (one virtual thread per request) serving the explorer
 * page and its JSON API over one model.
 *
 * <pre>
 *   GET  /                                   the page (index.html, app.js, style.css from the jar)
 *   GET  /api/model                          name, layers, heads, context, vocabulary
 *   POST /api/analyze {"prompt": "..."}      tokens, top predictions, a run id (patterns cached under it)
 *   GET  /api/runs/{id}/attention/{l}        layer l's patterns [H, T, T] as little-endian float32
 *   GET  /api/runs/{id}/attention/{l}/{h}    head (l, h)'s pattern [T, T] as JSON
 *   GET  /api/runs/{id}/lens                 logit lens: top tokens per layer boundary and position
 *   GET  /api/runs/{id}/dla[?token=ID|text=T] direct logit attribution of the last position's answer
 *   GET  /api/circuits                       per-head copying scores, Q/K/V composition matrices
 *   /api/features…                           the Features view of a spliced SAE (see {@link FeaturesApi})
 * </pre>
 *
 * Request bodies above {@link #MAX_BODY} bytes get 413, unknown paths 404, wrong methods 405; bad
 * input gets 400 with {@code {"error": "..."}}.
 */
public final class ExplorerServer implements AutoCloseable {
    /** The largest request body accepted (64 KiB): a prompt far longer than any context. */
    public static final int MAX_BODY = 64 * 1024;
    /** Predictions returned by /api/analyze. */
    static final int TOP_PREDICTIONS = 10;

    private final ObjectMapper om = new ObjectMapper();
    private final ExplorerModel model;
    private final StaticAssets assets = new StaticAssets();
    private final RunStore runs = new RunStore(8);
    private final CircuitsSummary circuits;
    private final HttpServer server;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final int maxTokens;
    private final FeaturesApi features;

    private ExplorerServer(ExplorerModel model, HttpServer server, int maxTokens, FeaturesApi features) {
        this.model = model;
        this.server = server;
        this.maxTokens = maxTokens;
        this.features = features;
        this.circuits = new CircuitsSummary(model);
        server.createContext("/", this::handle);
        server.setExecutor(executor);
    }

    /**
     * Binds {@code host:port} (port 0 = any free port) and starts serving. Prompts longer than
     * {@code maxTokens} (at most the model's context) keep their last {@code maxTokens} tokens.
     *
     * @throws LoupeException when the address cannot be bound
     */
    public static ExplorerServer start(ExplorerModel model, String host, int port, int maxTokens) {
        return start(model, host, port, maxTokens, null, null);
    }

    /**
     * As {@link #start(ExplorerModel, String, int, int)}, with the Features view of {@code splice}, a
     * sparse autoencoder already spliced into the model (null for none), and the feature browser
     * {@code loupe sae features} wrote to {@code dashboardDir} (null for none).
     */
    public static ExplorerServer start(ExplorerModel model, String host, int port, int maxTokens,
                                       dev.loupe.sae.SaeSplice splice, java.nio.file.Path dashboardDir) {
        FeaturesApi features = new FeaturesApi(model, splice, dashboardDir);
        HttpServer s;
        try {
            s = HttpServer.create(new InetSocketAddress(host, port), 0);
        } catch (IOException e) {
            throw new LoupeException("cannot listen on " + host + ":" + port + ": " + e.getMessage());
        }
        ExplorerServer es = new ExplorerServer(model, s, Math.min(maxTokens, model.config().nPositions()), features);
        s.start();
        return es;
    }

    /** The page's address, e.g. {@code http://127.0.0.1:8080/}. */
    public URI url() {
        InetSocketAddress a = server.getAddress();
        String host = a.getAddress().isAnyLocalAddress() ? "127.0.0.1" : a.getAddress().getHostAddress();
        if (host.contains(":")) host = "[" + host + "]";
        return URI.create("http://" + host + ":" + a.getPort() + "/");
    }

    public int port() { return server.getAddress().getPort(); }

    @Override
    public void close() {
        server.stop(0);
        executor.close();
    }

    private void handle(HttpExchange ex) {
        try (ex) {
            try {
                route(ex);
            } catch (HttpError e) {
                sendError(ex, e.status, e.getMessage());
            } catch (LoupeException | IllegalArgumentException e) {
                sendError(ex, 400, e.getMessage());
            } catch (RuntimeException e) {
                sendError(ex, 500, e.toString());
            }
        } catch (IOException e) {
            // the client went away; nothing to answer
        }
    }

    private void route(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getRawPath();
        String method = ex.getRequestMethod();
        if (!path.startsWith("/api/")) {
            StaticAssets.Asset a = assets.get(path);
            if (a == null) throw new HttpError(404, "no such page: " + path);
            requireMethod(method, "GET");
            send(ex, 200, a.contentType(), a.bytes());
            return;
        }
        String[] p = path.substring("/api/".length()).split("/", -1);
        switch (p[0]) {
            case "model" -> {
                requireParts(p, 1);
                requireMethod(method, "GET");
                sendJson(ex, modelJson());
            }
            case "analyze" -> {
                requireParts(p, 1);
                requireMethod(method, "POST");
                sendJson(ex, analyze(readBody(ex)));
            }
            case "circuits" -> {
                requireParts(p, 1);
                requireMethod(method, "GET");
                sendJson(ex, circuits.json(om));
            }
            case "features" -> features(ex, p, method);
            case "runs" -> {
                requireMethod(method, "GET");
                if (p.length < 3) throw new HttpError(404, "no such route: " + path);
                PromptRun run = runs.get(p[1]);
                if (run == null) throw new HttpError(404, "no run " + p[1] + " (runs are kept for the last few prompts; analyse again)");
                switch (p[2]) {
                    case "attention" -> {
                        if (p.length == 4) sendBytes(ex, attentionLayer(run, index(p[3], model.config().nLayer(), "layer")));
                        else if (p.length == 5) sendJson(ex, attentionHead(run, index(p[3], model.config().nLayer(), "layer"),
                                index(p[4], model.config().nHead(), "head")));
                        else throw new HttpError(404, "no such route: " + path);
                    }
                    case "lens" -> {
                        requireParts(p, 3);
                        sendJson(ex, ExplorerJson.lens(om, model, run));
                    }
                    case "dla" -> {
                        requireParts(p, 3);
                        sendJson(ex, ExplorerJson.dla(om, model, run, Query.parse(ex.getRequestURI().getRawQuery())));
                    }
                    default -> throw new HttpError(404, "no such route: " + path);
                }
            }
            default -> throw new HttpError(404, "no such route: " + path);
        }
    }

    private void features(HttpExchange ex, String[] p, String method) throws IOException {
        if (p.length == 1 && method.equals("POST")) {
            JsonNode req;
            try {
                req = om.readTree(readBody(ex));
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new HttpError(400, "the request body is not JSON: " + e.getOriginalMessage());
            }
            sendJson(ex, features.perToken(om, req, maxTokens));
            return;
        }
        requireMethod(method, "GET");
        if (p.length == 1) sendJson(ex, features.info(om));
        else if (p.length == 2 && p[1].equals("dashboard")) send(ex, 200, "text/html; charset=utf-8", features.dashboardPage());
        else if (p.length == 2) sendJson(ex, features.feature(om, index(p[1], Math.max(1, features.dSae()), "feature"), 10));
        else throw new HttpError(404, "no such route: /api/" + String.join("/", p));
    }

    private ObjectNode modelJson() {
        ObjectNode o = om.createObjectNode();
        o.put("name", model.name());
        o.put("layers", model.config().nLayer());
        o.put("heads", model.config().nHead());
        o.put("d_model", model.config().dModel());
        o.put("context", model.config().nPositions());
        o.put("max_tokens", maxTokens);
        o.put("vocab", model.config().vocabSize());
        return o;
    }

    private ObjectNode analyze(byte[] body) {
        JsonNode req;
        try {
            req = om.readTree(body);
        } catch (IOException e) {
            throw new HttpError(400, "the request body is not JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
        if (req == null || !req.path("prompt").isTextual()) throw new HttpError(400, "expected {\"prompt\": \"...\"}");
        PromptRun run = PromptRun.analyse(runs.newId(), model, req.get("prompt").asText(), maxTokens);
        runs.put(run);
        return ExplorerJson.analysis(om, model, run, TOP_PREDICTIONS, maxTokens);
    }

    private static byte[] attentionLayer(PromptRun run, int layer) {
        float[] p = run.pattern(layer);
        ByteBuffer b = ByteBuffer.allocate(p.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(p);
        return b.array();
    }

    private ObjectNode attentionHead(PromptRun run, int layer, int head) {
        int t = run.ids.length;
        float[] p = run.pattern(layer);
        ObjectNode o = om.createObjectNode();
        o.put("layer", layer);
        o.put("head", head);
        ArrayNode rows = o.putArray("pattern");
        for (int q = 0; q < t; q++) {
            ArrayNode r = rows.addArray();
            for (int k = 0; k < t; k++) r.add(p[(head * t + q) * t + k]);
        }
        return o;
    }

    private static int index(String s, int bound, String what) {
        try {
            int v = Integer.parseInt(s);
            if (v >= 0 && v < bound) return v;
        } catch (NumberFormatException ignored) {
            // fall through to the error
        }
        throw new HttpError(404, what + " '" + s + "' is not in [0, " + bound + ")");
    }

    private static void requireParts(String[] p, int n) {
        if (p.length != n) throw new HttpError(404, "no such route: /api/" + String.join("/", p));
    }

    private static void requireMethod(String method, String expected) {
        if (!expected.equals(method)) throw new HttpError(405, "use " + expected + ", not " + method);
    }

    /** The body, refusing (413) more than MAX_BODY bytes whether or not Content-Length announced them. */
    private static byte[] readBody(HttpExchange ex) throws IOException {
        String len = ex.getRequestHeaders().getFirst("Content-Length");
        if (len != null) {
            try {
                if (Long.parseLong(len.trim()) > MAX_BODY) throw tooLarge();
            } catch (NumberFormatException e) {
                throw new HttpError(400, "bad Content-Length: " + len);
            }
        }
        try (InputStream in = ex.getRequestBody()) {
            byte[] b = in.readNBytes(MAX_BODY + 1);
            if (b.length > MAX_BODY) throw tooLarge();
            return b;
        }
    }

    private static HttpError tooLarge() {
        return new HttpError(413, "request body larger than " + MAX_BODY + " bytes");
    }

    private void sendJson(HttpExchange ex, JsonNode node) throws IOException {
        send(ex, 200, "application/json; charset=utf-8", om.writeValueAsBytes(node));
    }

    private static void sendBytes(HttpExchange ex, byte[] b) throws IOException {
        send(ex, 200, "application/octet-stream", b);
    }

    private void sendError(HttpExchange ex, int status, String message) {
        try {
            ObjectNode o = om.createObjectNode();
            o.put("error", message);
            o.put("status", status);
            if (status == 413) ex.getResponseHeaders().set("Connection", "close");
            send(ex, status, "application/json; charset=utf-8", om.writeValueAsBytes(o));
        } catch (IOException | RuntimeException e) {
            // headers already sent or client gone
        }
    }

    private static void send(HttpExchange ex, int status, String type, byte[] body) throws IOException {
        ex.getResponseHeaders().set("Content-Type", type);
        ex.getResponseHeaders().set("Cache-Control", "no-store");
        ex.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) ex.getResponseBody().write(body);
    }
}
