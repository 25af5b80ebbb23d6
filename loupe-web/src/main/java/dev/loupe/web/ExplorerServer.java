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
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * {@code loupe serve}: the JDK's HTTP server (one virtual thread per request) serving the explorer
 * page and its JSON API over one model.
 *
 * <pre>
 *   GET  /                                   the page (index.html, app.js, style.css from the jar)
 *   GET  /api/model                          name, layers, heads, context, vocabulary, weights (f32|bf16), default prompt (and its source), accepted tokens
 *   POST /api/analyze {"prompt": "..."}      tokens, top predictions, a run id (patterns cached under it)
 *   GET  /api/runs/{id}/attention/{l}        layer l's patterns [H, T, T] as little-endian float32
 *   GET  /api/runs/{id}/attention/{l}/{h}    head (l, h)'s pattern [T, T] as JSON
 *   GET  /api/runs/{id}/lens                 logit lens: top tokens per layer boundary and position
 *   GET  /api/runs/{id}/dla[?token=ID|text=T] direct logit attribution of the last position's answer
 *   GET  /api/runs/{id}/highway              highway gates and path shares per sublayer and position ({@link HighwayView})
 *   GET  /api/runs/{id}/routing              MoE routing: R over the prompt, RᵀR, load per MoE layer (see {@link RoutingView})
 *   GET  /api/circuits                       per-head copying scores, Q/K/V composition matrices
 *   /api/features…                           the Features view of a spliced SAE (see {@link FeaturesApi})
 * </pre>
 *
 * Request bodies above {@link #MAX_BODY} bytes get 413, unknown paths 404, wrong methods 405 (with
 * {@code Allow}); bad input gets 400 with {@code {"error": "..."}}; {@code HEAD} is answered like
 * {@code GET} without the body. Requests whose {@code Host} is not this machine or that come from
 * another origin get 403 ({@link RequestGuard}: DNS rebinding, CSRF). A request not fully sent
 * within {@link #REQUEST_TIMEOUT_SECONDS} seconds is closed. Runs are kept within a memory budget
 * ({@link RunStore}); a follow-up for a run that was dropped computes it again.
 */
public final class ExplorerServer implements AutoCloseable {
    /** The largest request body accepted (64 KiB): a prompt far longer than any context. */
    public static final int MAX_BODY = 64 * 1024;
    /** Predictions returned by /api/analyze. */
    static final int TOP_PREDICTIONS = 10;

    private final ObjectMapper om = new ObjectMapper();
    private final ExplorerModel model;
    private final StaticAssets assets = new StaticAssets();
    /**
     * Seconds a client has to send a whole request (headers and body) before the connection is
     * closed; the JDK server's {@code sun.net.httpserver.maxReqTime}, set here unless given with -D
     * (it is read once, when the JDK's server class loads).
     */
    public static final long REQUEST_TIMEOUT_SECONDS;

    static {
        String key = "sun.net.httpserver.maxReqTime";
        if (System.getProperty(key) == null) System.setProperty(key, "30");
        REQUEST_TIMEOUT_SECONDS = Long.getLong(key, 30);
    }

    private final RunStore runs;
    private final RequestGuard guard;
    private final String host;
    private final CircuitsSummary circuits;
    private final HttpServer server;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final int maxTokens;
    private final FeaturesApi features;

    private ExplorerServer(ExplorerModel model, HttpServer server, String host, int maxTokens, RequestGuard guard, long runBudget,
                           FeaturesApi features) {
        this.runs = new RunStore(runBudget);
        this.host = host;
        this.model = model;
        this.server = server;
        this.maxTokens = maxTokens;
        this.guard = guard;
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
        return start(model, host, port, maxTokens, Set.of());
    }

    /**
     * {@link #start(ExplorerModel, String, int, int)}, also accepting requests whose {@code Host}
     * header names one of {@code allowedHosts} (e.g. the machine's name on the network); otherwise
     * only loopback names and, when listening beyond loopback, IP literals are accepted.
     */
    public static ExplorerServer start(ExplorerModel model, String host, int port, int maxTokens, Set<String> allowedHosts) {
        return start(model, host, port, maxTokens, allowedHosts, null, null);
    }

    /**
     * As {@link #start(ExplorerModel, String, int, int)}, with the Features view of {@code splice}, a
     * sparse autoencoder already spliced into the model (null for none), and the feature browser
     * {@code loupe sae features} wrote to {@code dashboardDir} (null for none).
     */
    public static ExplorerServer start(ExplorerModel model, String host, int port, int maxTokens,
                                       dev.loupe.sae.SaeSplice splice, java.nio.file.Path dashboardDir) {
        return start(model, host, port, maxTokens, Set.of(), splice, dashboardDir);
    }

    /** {@link #start(ExplorerModel, String, int, int, Set)} with the Features view of {@code splice} (see above). */
    public static ExplorerServer start(ExplorerModel model, String host, int port, int maxTokens, Set<String> allowedHosts,
                                       dev.loupe.sae.SaeSplice splice, java.nio.file.Path dashboardDir) {
        return start(model, host, port, maxTokens, allowedHosts, RunStore.defaultBudget(), splice, dashboardDir);
    }

    /** {@link #start(ExplorerModel, String, int, int, Set)} keeping runs within {@code runBudget} bytes. */
    static ExplorerServer start(ExplorerModel model, String host, int port, int maxTokens, Set<String> allowedHosts, long runBudget) {
        return start(model, host, port, maxTokens, allowedHosts, runBudget, null, null);
    }

    private static ExplorerServer start(ExplorerModel model, String host, int port, int maxTokens, Set<String> allowedHosts,
                                        long runBudget, dev.loupe.sae.SaeSplice splice, java.nio.file.Path dashboardDir) {
        FeaturesApi features = new FeaturesApi(model, splice, dashboardDir);
        HttpServer s;
        try {
            s = HttpServer.create(new InetSocketAddress(host, port), 0);
        } catch (IOException e) {
            throw new LoupeException("cannot listen on " + host + ":" + port + ": " + e.getMessage());
        }
        boolean loopbackOnly = s.getAddress().getAddress().isLoopbackAddress();
        ExplorerServer es = new ExplorerServer(model, s, host, Math.min(maxTokens, model.config().nPositions()),
                new RequestGuard(loopbackOnly, allowedHosts), runBudget, features);
        s.start();
        return es;
    }

    /** The page's address on this machine, e.g. {@code http://127.0.0.1:8080/} (also when listening on all interfaces). */
    public URI url() {
        InetSocketAddress a = server.getAddress();
        return a.getAddress().isAnyLocalAddress() ? url(InetAddress.getLoopbackAddress(), a.getPort()) : url(a.getAddress(), a.getPort());
    }

    /** Whether the server listens beyond this machine (a non-loopback or the wildcard address). */
    public boolean exposed() {
        return !server.getAddress().getAddress().isLoopbackAddress();
    }

    /**
     * Every address other machines can open the page at: the bound address, or with the wildcard
     * (0.0.0.0, ::) each address of every network interface that is up, loopback excluded.
     */
    public List<URI> networkUrls() {
        InetSocketAddress a = server.getAddress();
        List<URI> out = new ArrayList<>();
        if (!a.getAddress().isAnyLocalAddress()) {
            if (!a.getAddress().isLoopbackAddress()) out.add(url(a.getAddress(), a.getPort()));
            return out;
        }
        boolean v4Only = a.getAddress() instanceof Inet4Address;
        try {
            for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                if (!nif.isUp() || nif.isLoopback()) continue;
                for (InetAddress ia : Collections.list(nif.getInetAddresses())) {
                    if (ia.isLinkLocalAddress() || (v4Only && !(ia instanceof Inet4Address))) continue;
                    out.add(url(ia, a.getPort()));
                }
            }
        } catch (IOException e) {
            // no interface list on this platform: the caller still has url()
        }
        return out;
    }

    private static URI url(InetAddress address, int port) {
        String host = address.getHostAddress();
        int zone = host.indexOf('%');
        if (zone >= 0) host = host.substring(0, zone);
        if (host.contains(":")) host = "[" + host + "]";
        return URI.create("http://" + host + ":" + port + "/");
    }

    public int port() { return server.getAddress().getPort(); }

    /** The address listened on as it was asked for, e.g. {@code 0.0.0.0:8080} (the JDK reports the wildcard as ::). */
    public String address() {
        return (host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host) + ":" + port();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.close();
    }

    private void handle(HttpExchange ex) {
        try (ex) {
            try {
                guard.check(ex.getRequestHeaders(), ex.getRequestURI().getRawPath());
                route(ex);
            } catch (HttpError e) {
                sendError(ex, e.status, e.getMessage(), e.allow);
            } catch (LoupeException | IllegalArgumentException e) {
                sendError(ex, 400, e.getMessage());
            } catch (OutOfMemoryError e) {
                sendError(ex, 503, "not enough memory for this analysis now (a shorter prompt needs less)");
            } catch (RuntimeException e) {
                // a bug: the client gets no exception text, the console gets one line
                System.err.println("explorer: internal error on " + ex.getRequestMethod() + " " + ex.getRequestURI().getRawPath() + ": " + e);
                sendError(ex, 500, "internal error (details on the server's console)");
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
                PromptRun run = run(p[1]);
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
                    case "highway" -> {
                        requireParts(p, 3);
                        sendJson(ex, HighwayView.json(om, model, run));
                    }
                    case "dla" -> {
                        requireParts(p, 3);
                        sendJson(ex, ExplorerJson.dla(om, model, run, Query.parse(ex.getRequestURI().getRawQuery())));
                    }
                    case "routing" -> {
                        requireParts(p, 3);
                        sendJson(ex, RoutingView.json(om, model, run));
                    }
                    default -> throw new HttpError(404, "no such route: " + path);
                }
            }
            default -> throw new HttpError(404, "no such route: " + path);
        }
    }

    /** Run {@code id}: kept, or computed again from its prompt when it was dropped to save memory. */
    private PromptRun run(String id) {
        PromptRun run = runs.get(id);
        if (run != null) return run;
        RunStore.Prompt prompt = runs.prompt(id);
        if (prompt == null) throw new HttpError(404, "no run " + id + " (unknown or long forgotten; analyse the prompt again)");
        run = PromptRun.analyse(id, model, prompt.ids(), prompt.dropped());
        runs.put(run);
        return run;
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
        o.put("weights", model.gpt().weightFormat().label());
        DefaultPrompt.Choice prompt = DefaultPrompt.forModel(model, Math.min(maxTokens, model.config().nPositions()));
        o.put("default_prompt", prompt.text());
        o.put("default_prompt_source", prompt.source());
        o.put("accepts", DefaultPrompt.accepts(model.tokenizer()));
        o.set("highway", HighwayView.settings(om, model));
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

    /** {@code HEAD} is accepted wherever {@code GET} is (answered without the body). */
    private static void requireMethod(String method, String expected) {
        if (expected.equals(method) || (expected.equals("GET") && method.equals("HEAD"))) return;
        throw new HttpError(405, "use " + expected + ", not " + method, expected.equals("GET") ? "GET, HEAD" : expected);
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
        sendError(ex, status, message, null);
    }

    private void sendError(HttpExchange ex, int status, String message, String allow) {
        try {
            ObjectNode o = om.createObjectNode();
            o.put("error", message);
            o.put("status", status);
            if (status == 413) ex.getResponseHeaders().set("Connection", "close");
            if (allow != null) ex.getResponseHeaders().set("Allow", allow);
            send(ex, status, "application/json; charset=utf-8", om.writeValueAsBytes(o));
        } catch (IOException | RuntimeException e) {
            // headers already sent or client gone
        }
    }

    private static void send(HttpExchange ex, int status, String type, byte[] body) throws IOException {
        ex.getResponseHeaders().set("Content-Type", type);
        ex.getResponseHeaders().set("Cache-Control", "no-store");
        ex.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
        if (ex.getRequestMethod().equals("HEAD")) {
            // the JDK warns on the console when HEAD is given a length: set the header, send no body
            ex.getResponseHeaders().set("Content-Length", Integer.toString(body.length));
            ex.sendResponseHeaders(status, -1);
            return;
        }
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) ex.getResponseBody().write(body);
    }
}
