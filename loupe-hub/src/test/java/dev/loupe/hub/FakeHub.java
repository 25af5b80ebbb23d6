package dev.loupe.hub;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A local stand-in for huggingface.co on 127.0.0.1 with the hub's URL layout and headers:
 * {@code /{repo}/resolve/main/{file}}; small files answer HEAD with an ETag, "LFS" files with a 302
 * to a CDN on another host name (localhost) plus X-Linked-Size and X-Linked-Etag (sha256).
 */
final class FakeHub implements AutoCloseable {
    record Request(String method, String path, String range) {}

    private final HttpServer server;
    final Map<String, byte[]> files = new ConcurrentHashMap<>();     // "repo/file" -> content
    final Map<String, String> lfsSha = new ConcurrentHashMap<>();    // "repo/file" -> advertised sha256 (LFS files)
    final Map<String, String> renamed = new ConcurrentHashMap<>();   // old repo -> new repo
    final List<Request> requests = new CopyOnWriteArrayList<>();
    /** The next this-many GETs of LFS content stop after half the body. */
    final AtomicInteger cutNextGets = new AtomicInteger();

    FakeHub() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", this::handle);
        server.start();
    }

    String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    void put(String repo, String file, byte[] content, boolean lfs) {
        files.put(repo + "/" + file, content);
        if (lfs) lfsSha.put(repo + "/" + file, sha256(content));
    }

    static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private void handle(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        String method = ex.getRequestMethod();
        requests.add(new Request(method, path, ex.getRequestHeaders().getFirst("Range")));
        try (ex) {
            if (path.startsWith("/cdn/")) {
                serveBody(ex, path.substring("/cdn/".length()), method, true);
                return;
            }
            int at = path.indexOf("/resolve/main/");
            if (at < 0) {
                ex.sendResponseHeaders(404, -1);
                return;
            }
            String repo = path.substring(1, at), file = path.substring(at + "/resolve/main/".length());
            if (renamed.containsKey(repo)) {
                ex.getResponseHeaders().add("Location", "/" + renamed.get(repo) + "/resolve/main/" + file);
                ex.sendResponseHeaders(307, -1);
                return;
            }
            String key = repo + "/" + file;
            byte[] content = files.get(key);
            if (content == null) {
                ex.sendResponseHeaders(files.keySet().stream().anyMatch(k -> k.startsWith(repo + "/")) ? 404 : 401, -1);
                return;
            }
            if (lfsSha.containsKey(key)) {
                ex.getResponseHeaders().add("X-Linked-Size", Long.toString(content.length));
                ex.getResponseHeaders().add("X-Linked-Etag", "\"" + lfsSha.get(key) + "\"");
                ex.getResponseHeaders().add("ETag", "\"0123456789abcdef0123456789abcdef01234567\"");
                ex.getResponseHeaders().add("Location", "http://localhost:" + server.getAddress().getPort() + "/cdn/" + key);
                ex.sendResponseHeaders(302, -1);
                return;
            }
            serveBody(ex, key, method, false);
        }
    }

    private void serveBody(HttpExchange ex, String key, String method, boolean lfs) throws IOException {
        byte[] content = files.get(key);
        if (content == null) {
            ex.sendResponseHeaders(404, -1);
            return;
        }
        if (!lfs) ex.getResponseHeaders().add("ETag", "W/\"" + "a".repeat(40) + "\"");
        ex.getResponseHeaders().add("Accept-Ranges", "bytes");
        if (method.equals("HEAD")) {
            ex.getResponseHeaders().add("Content-Length", Integer.toString(content.length));
            ex.sendResponseHeaders(200, -1);
            return;
        }
        int from = 0;
        String range = ex.getRequestHeaders().getFirst("Range");
        if (range != null && range.startsWith("bytes=") && range.endsWith("-")) {
            from = Integer.parseInt(range.substring(6, range.length() - 1));
            ex.getResponseHeaders().add("Content-Range", "bytes " + from + "-" + (content.length - 1) + "/" + content.length);
            ex.sendResponseHeaders(206, content.length - from);
        } else {
            ex.sendResponseHeaders(200, content.length);
        }
        OutputStream out = ex.getResponseBody();
        if (lfs && cutNextGets.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            int half = (content.length - from) / 2;
            out.write(content, from, half);
            out.flush();
            ex.getHttpContext().getServer(); // no-op: keep the exchange
            // close the connection mid-body
            ex.close();
            throw new IOException("cut on purpose");
        }
        out.write(content, from, content.length - from);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
