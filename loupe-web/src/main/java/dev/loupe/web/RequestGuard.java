package dev.loupe.web;

import com.sun.net.httpserver.Headers;

import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Set;

/**
 * Which requests the explorer answers: the defence against DNS rebinding and cross-site requests.
 *
 * <p>DNS rebinding: a page on {@code evil.example} makes its name resolve to 127.0.0.1 and then reads
 * the explorer as if it were its own origin; the browser still sends {@code Host: evil.example}. So
 * the {@code Host} header must name this machine: {@code localhost} or a loopback address, and, when
 * the server listens beyond loopback ({@code --host}), any IP literal (a name would need DNS, which
 * is what the attacker controls) or a name given with {@code --allow-host}. Cross-site requests (CSRF,
 * e.g. a {@code text/plain} form POST): an API request whose {@code Origin} is not this very origin,
 * or that the browser labels {@code Sec-Fetch-Site: cross-site} or {@code same-site}, is refused. Requests
 * without these headers (curl, scripts) are not browsers' cross-site requests and are answered.
 */
final class RequestGuard {
    private final boolean loopbackOnly;
    private final Set<String> allowedHosts;   // lower case, without port

    /**
     * @param loopbackOnly whether the server listens on a loopback address only
     * @param allowedHosts extra host names accepted in {@code Host} (e.g. the machine's LAN name)
     */
    RequestGuard(boolean loopbackOnly, Set<String> allowedHosts) {
        this.loopbackOnly = loopbackOnly;
        this.allowedHosts = allowedHosts.stream().map(h -> h.toLowerCase(Locale.ROOT)).collect(java.util.stream.Collectors.toSet());
    }

    /**
     * The Host check applies to every request; the cross-site checks to the API only, so that a
     * link to the explorer from another site still opens the page (a static file, the same for
     * everyone, whose content the linking site cannot read).
     *
     * @throws HttpError 403 with the reason when the request must not be answered
     */
    void check(Headers headers, String path) {
        String host = headers.getFirst("Host");
        if (host != null && !acceptedHost(hostPart(host))) {
            throw new HttpError(403, "Host '" + host + "' is not this machine's loopback address: refused as a possible"
                    + " DNS-rebinding attack (start 'loupe serve' with --allow-host NAME to accept a name)");
        }
        if (!path.startsWith("/api/")) return;
        String site = headers.getFirst("Sec-Fetch-Site");
        if (site != null && (site.equalsIgnoreCase("cross-site") || site.equalsIgnoreCase("same-site"))) {
            throw new HttpError(403, "cross-site request refused (Sec-Fetch-Site: " + site + ")");
        }
        String origin = headers.getFirst("Origin");
        if (origin != null && !sameOrigin(origin, host)) {
            throw new HttpError(403, "request from origin '" + origin + "' refused: the explorer answers its own page only");
        }
    }

    private boolean sameOrigin(String origin, String host) {
        try {
            URI o = new URI(origin);
            if (!"http".equalsIgnoreCase(o.getScheme()) || o.getRawAuthority() == null) return false;
            if (host != null) return o.getRawAuthority().equalsIgnoreCase(host.strip());
            return acceptedHost(hostPart(o.getRawAuthority()));
        } catch (URISyntaxException e) {
            return false;   // "null" and garbage
        }
    }

    private boolean acceptedHost(String name) {
        String h = name.toLowerCase(Locale.ROOT);
        if (h.equals("localhost") || allowedHosts.contains(h)) return true;
        InetAddress a = literal(h);
        if (a == null) return false;
        return a.isLoopbackAddress() || !loopbackOnly;
    }

    /** The address an IP literal names, without any DNS lookup; null for names. */
    private static InetAddress literal(String h) {
        String s = h.startsWith("[") && h.endsWith("]") ? h.substring(1, h.length() - 1) : h;
        if (s.isEmpty() || !(s.contains(":") || s.chars().allMatch(c -> c == '.' || (c >= '0' && c <= '9')))) return null;
        try {
            return InetAddress.ofLiteral(s);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** "localhost:8080" → "localhost", "[::1]:80" → "[::1]", "127.0.0.1" → "127.0.0.1". */
    static String hostPart(String hostHeader) {
        String h = hostHeader.strip();
        if (h.startsWith("[")) {
            int end = h.indexOf(']');
            return end < 0 ? h : h.substring(0, end + 1);
        }
        int colon = h.indexOf(':');
        return colon < 0 || colon != h.lastIndexOf(':') ? h : h.substring(0, colon);
    }
}
