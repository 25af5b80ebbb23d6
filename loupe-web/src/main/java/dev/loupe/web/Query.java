package dev.loupe.web;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/** A request's query string, decoded: {@code a=1&b=x%20y} → {a: "1", b: "x y"}. */
record Query(Map<String, String> values) {
    static Query parse(String raw) {
        Map<String, String> m = new HashMap<>();
        if (raw != null && !raw.isEmpty()) {
            for (String part : raw.split("&")) {
                int eq = part.indexOf('=');
                String k = eq < 0 ? part : part.substring(0, eq), v = eq < 0 ? "" : part.substring(eq + 1);
                try {
                    m.put(URLDecoder.decode(k, StandardCharsets.UTF_8), URLDecoder.decode(v, StandardCharsets.UTF_8));
                } catch (IllegalArgumentException e) {
                    throw new HttpError(400, "bad query string: " + raw);
                }
            }
        }
        return new Query(m);
    }

    String get(String key) {
        return values.get(key);
    }
}
