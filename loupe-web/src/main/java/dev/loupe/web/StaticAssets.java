package dev.loupe.web;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The explorer page's files, read once from the jar ({@code dev/loupe/web/static/}) into memory.
 *
 * <p>Only the names listed here are ever served; a request path is looked up in this map as a
 * string, never resolved against a directory, so {@code /../}, {@code %2e%2e} or any other spelling
 * of a path outside the assets is simply an unknown name (404).
 */
final class StaticAssets {
    /** A file's bytes and its Content-Type. */
    record Asset(byte[] bytes, String contentType) {}

    private static final String ROOT = "/dev/loupe/web/static/";
    private final Map<String, Asset> assets = new LinkedHashMap<>();

    StaticAssets() {
        add("index.html", "text/html; charset=utf-8");
        add("app.js", "text/javascript; charset=utf-8");
        add("tokens.js", "text/javascript; charset=utf-8");
        add("routing.js", "text/javascript; charset=utf-8");
        add("style.css", "text/css; charset=utf-8");
        add("highway.js", "text/javascript; charset=utf-8");
    }

    private void add(String name, String type) {
        try (InputStream in = StaticAssets.class.getResourceAsStream(ROOT + name)) {
            if (in == null) throw new IllegalStateException("resource " + ROOT + name + " is missing from the jar");
            assets.put("/" + name, new Asset(in.readAllBytes(), type));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The asset at a request's raw path ("/" is the page itself), or null. */
    Asset get(String rawPath) {
        return assets.get("/".equals(rawPath) ? "/index.html" : rawPath);
    }
}
