package dev.loupe.hub;

import dev.loupe.LoupeException;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Downloads model files from the Hugging Face hub ({@code {endpoint}/{repo}/resolve/main/{file}})
 * into {@link HubCache Loupe's cache}, the way {@code huggingface_hub} does:
 * <ul>
 *   <li>metadata first: a HEAD request that follows only relative redirects (renamed repositories)
 *       and reads the size ({@code X-Linked-Size}, else {@code Content-Length}) and the ETag
 *       ({@code X-Linked-Etag}, else {@code ETag}), which for large (LFS) files is the SHA-256 of the content;</li>
 *   <li>the body goes to {@code FILE.part}; an interrupted download resumes with an HTTP
 *       {@code Range} request on the next run;</li>
 *   <li>the complete file is checked against the size and, when the ETag is a SHA-256, the hash
 *       (a mismatch deletes the download and fails), fsynced, and renamed into place, so a model
 *       directory never holds a half-written file.</li>
 * </ul>
 * Files already complete in the cache are not downloaded again; when an existing Hugging Face
 * cache already has every file, nothing is downloaded at all.
 */
public final class HubDownloader {
    /** The public hub. */
    public static final String DEFAULT_ENDPOINT = "https://huggingface.co";

    private final String endpoint;
    private final HubCache cache;
    private final DownloadListener listener;
    private final HttpClient http;

    /**
     * @param endpoint base URL ({@link #endpointFromEnvironment()} for {@code HF_ENDPOINT} or the public hub)
     */
    public HubDownloader(String endpoint, HubCache cache, DownloadListener listener) {
        this.endpoint = endpoint.endsWith("/") ? endpoint.substring(0, endpoint.length() - 1) : endpoint;
        this.cache = cache;
        this.listener = listener;
        this.http = HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(15))
                .followRedirects(HttpClient.Redirect.NORMAL)
                .build();
    }

    /** {@code HF_ENDPOINT} when set, else {@value #DEFAULT_ENDPOINT}. */
    public static String endpointFromEnvironment() {
        String e = System.getenv("HF_ENDPOINT");
        return e != null && !e.isBlank() ? e.strip() : DEFAULT_ENDPOINT;
    }

    /** Fetches config.json and model.safetensors (required) and vocab.json and merges.txt (when the repository has them). */
    public FetchResult fetch(HubName name) {
        return fetch(name, Hub.MODEL_FILES, Hub.TOKENIZER_FILES);
    }

    /**
     * Fetches {@code required} files (missing on the hub → error) and {@code optional} ones
     * (missing → listed in {@link FetchResult#notOnHub()}).
     */
    public FetchResult fetch(HubName name, List<String> required, List<String> optional) {
        List<String> all = new ArrayList<>(required);
        all.addAll(optional);
        Optional<Path> loupe = cache.findInLoupe(name, all);
        if (loupe.isPresent()) return new FetchResult(loupe.get(), false, List.of(), all, List.of());
        Optional<Path> hf = cache.findInHuggingFace(name, all);
        if (hf.isPresent()) return new FetchResult(hf.get(), true, List.of(), all, List.of());

        Path dir = cache.loupeDir(name);
        List<String> downloaded = new ArrayList<>(), present = new ArrayList<>(), absent = new ArrayList<>();
        for (String file : all) {
            if (Files.isRegularFile(dir.resolve(file))) {
                present.add(file);
                continue;
            }
            Optional<Metadata> meta = metadata(name, file);
            if (meta.isEmpty()) {
                if (required.contains(file)) {
                    throw new LoupeException("the hub repository '" + name + "' has no " + file + " (" + url(name, file)
                            + "); is it a GPT-2-style model with safetensors weights?");
                }
                absent.add(file);
                continue;
            }
            download(name, file, meta.get(), dir);
            downloaded.add(file);
        }
        return new FetchResult(dir, false, downloaded, present, absent);
    }

    /** Size (-1 unknown) and ETag (null unknown) of a file on the hub, and the URL to GET it from. */
    record Metadata(String url, long size, String etag) {
        /** The SHA-256 the ETag carries (LFS files), or null. */
        String sha256() {
            return etag != null && etag.matches("[0-9a-fA-F]{64}") ? etag.toLowerCase(Locale.ROOT) : null;
        }
    }

    private String url(HubName name, String file) {
        return endpoint + "/" + name.repoId() + "/resolve/main/" + file;
    }

    /** HEAD, following only same-site redirects; empty when the file (or repository) does not exist. */
    Optional<Metadata> metadata(HubName name, String file) {
        String url = url(name, file);
        HttpClient noRedirects = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(15))
                .followRedirects(HttpClient.Redirect.NEVER).build();
        for (int hop = 0; hop < 5; hop++) {
            HttpResponse<Void> r = send(noRedirects, HttpRequest.newBuilder(URI.create(url))
                    .method("HEAD", HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.discarding(), name);
            int status = r.statusCode();
            var h = r.headers();
            if (status >= 300 && status < 400) {
                String asked = url;
                String location = h.firstValue("Location").orElseThrow(
                        () -> new LoupeException("the hub answered " + status + " without a Location for " + asked));
                URI target = URI.create(url).resolve(location);
                if (location.startsWith("/") || target.getHost() == null
                        || target.getHost().equals(URI.create(url).getHost())) {
                    url = target.toString(); // renamed repository: ask again there
                    continue;
                }
                // an LFS file: the metadata is on this response, the body on the CDN
            } else if (status == 404 || status == 401 || status == 403) {
                return Optional.empty();
            } else if (status >= 400) {
                throw new LoupeException("the hub answered HTTP " + status + " for " + url);
            }
            long size = h.firstValue("X-Linked-Size").or(() -> h.firstValue("Content-Length")).map(Long::parseLong).orElse(-1L);
            String etag = h.firstValue("X-Linked-Etag").or(() -> h.firstValue("ETag")).map(HubDownloader::normalizeEtag).orElse(null);
            return Optional.of(new Metadata(url, size, etag));
        }
        throw new LoupeException("too many redirects for " + url(name, file));
    }

    private static String normalizeEtag(String e) {
        String s = e.strip();
        if (s.startsWith("W/")) s = s.substring(2);
        if (s.length() >= 2 && s.startsWith("\"") && s.endsWith("\"")) s = s.substring(1, s.length() - 1);
        return s;
    }

    private <T> HttpResponse<T> send(HttpClient client, HttpRequest req, HttpResponse.BodyHandler<T> handler, HubName name) {
        try {
            return client.send(req, handler);
        } catch (ConnectException | HttpConnectTimeoutException | java.nio.channels.UnresolvedAddressException e) {
            throw offline(name, e);
        } catch (IOException e) {
            if (e.getCause() instanceof java.net.UnknownHostException || e instanceof java.net.UnknownHostException) throw offline(name, e);
            throw new LoupeException("fetching " + name + " from " + endpoint + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LoupeException("fetching " + name + " was interrupted", e);
        }
    }

    private LoupeException offline(HubName name, Exception e) {
        return new LoupeException("cannot reach " + endpoint + " to fetch '" + name + "' (offline? set HF_ENDPOINT or --endpoint for a mirror): "
                + (e.getMessage() == null ? "no connection" : e.getMessage()), e);
    }

    private void download(HubName name, String file, Metadata meta, Path dir) {
        Path part = dir.resolve(file + ".part");
        Path target = dir.resolve(file);
        try {
            Files.createDirectories(dir);
            long have = Files.isRegularFile(part) ? Files.size(part) : 0;
            if (meta.size() >= 0 && have > meta.size()) {
                Files.delete(part);
                have = 0;
            }
            listener.started(file, have, meta.size());
            if (meta.size() < 0 || have < meta.size()) have = transfer(name, file, meta, part, have);
            verify(name, file, meta, part);
            try (FileChannel ch = FileChannel.open(part, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            try {
                Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(part, target, StandardCopyOption.REPLACE_EXISTING);
            }
            syncDirectory(dir);
            listener.finished(file);
        } catch (IOException e) {
            throw new LoupeException("cannot write " + part + ": " + e.getMessage(), e);
        }
    }

    /** GETs the rest of the file into {@code part} (Range when resuming); returns the bytes on disk. */
    private long transfer(HubName name, String file, Metadata meta, Path part, long have) throws IOException {
        HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(meta.url())).GET().timeout(Duration.ofMinutes(30));
        if (have > 0) req.header("Range", "bytes=" + have + "-");
        HttpResponse<InputStream> r = send(http, req.build(), HttpResponse.BodyHandlers.ofInputStream(), name);
        int status = r.statusCode();
        boolean append;
        if (status == 206 && have > 0) {
            String range = r.headers().firstValue("Content-Range").orElse("");
            if (!range.startsWith("bytes " + have + "-")) {
                r.body().close();
                throw new LoupeException("the hub answered range '" + range + "' to a request for bytes " + have + "- of " + meta.url());
            }
            append = true;
        } else if (status == 200) {
            append = false; // server ignored the range: start over
            have = 0;
        } else {
            r.body().close();
            throw new LoupeException("the hub answered HTTP " + status + " for " + meta.url());
        }
        long bytes = have;
        try (InputStream in = r.body();
             FileChannel out = FileChannel.open(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                     append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
            byte[] buf = new byte[1 << 16];
            long lastReport = 0;
            int n;
            try {
                while ((n = in.read(buf)) > 0) {
                    ByteBuffer bb = ByteBuffer.wrap(buf, 0, n);
                    while (bb.hasRemaining()) out.write(bb);
                    bytes += n;
                    if (bytes - lastReport >= (1 << 20)) {
                        listener.progressed(file, bytes);
                        lastReport = bytes;
                    }
                }
            } catch (IOException e) {
                out.force(true);
                throw new LoupeException("download of " + name + "/" + file + " stopped after " + bytes
                        + (meta.size() >= 0 ? " of " + meta.size() : "") + " bytes (" + e.getMessage()
                        + "); the part is kept: run the same command again to resume", e);
            }
            out.force(true);
        }
        listener.progressed(file, bytes);
        if (meta.size() >= 0 && bytes < meta.size()) {
            throw new LoupeException("download of " + name + "/" + file + " stopped after " + bytes + " of " + meta.size()
                    + " bytes; the part is kept: run the same command again to resume");
        }
        return bytes;
    }

    /** Size and SHA-256 checks; a failing file is deleted. */
    private void verify(HubName name, String file, Metadata meta, Path part) throws IOException {
        long size = Files.size(part);
        if (meta.size() >= 0 && size != meta.size()) {
            Files.deleteIfExists(part);
            throw new LoupeException("size mismatch for " + name + "/" + file + ": the hub says " + meta.size() + " bytes, got " + size
                    + "; the download was deleted, run the command again");
        }
        String expected = meta.sha256();
        if (expected == null) return;
        String actual = sha256(part);
        if (!actual.equals(expected)) {
            Files.deleteIfExists(part);
            throw new LoupeException("sha256 mismatch for " + name + "/" + file + ": the hub says " + expected + ", the download has "
                    + actual + "; the download was deleted, run the command again");
        }
    }

    static String sha256(Path file) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) md.update(buf, 0, n);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static void syncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // not every file system lets a directory be fsynced; the file itself is
        }
    }
}
