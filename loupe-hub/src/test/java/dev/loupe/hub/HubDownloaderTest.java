package dev.loupe.hub;

import dev.loupe.LoupeException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HubDownloaderTest {
    @TempDir
    Path tmp;
    FakeHub hub;
    HubCache cache;
    byte[] weights;

    @BeforeEach
    void setUp() throws Exception {
        hub = new FakeHub();
        cache = new HubCache(tmp.resolve("loupe/hub"), tmp.resolve("hf/hub"));
        weights = new byte[3_000_000];
        new Random(1).nextBytes(weights);
        String repo = "test-org/tiny";
        hub.put(repo, "config.json", "{\"n_layer\": 1}".getBytes(StandardCharsets.UTF_8), false);
        hub.put(repo, "model.safetensors", weights, true);
        hub.put(repo, "vocab.json", "{\"a\": 0}".getBytes(StandardCharsets.UTF_8), false);
        hub.put(repo, "merges.txt", "#version: 0.2\n".getBytes(StandardCharsets.UTF_8), false);
    }

    @AfterEach
    void tearDown() {
        hub.close();
    }

    private HubDownloader downloader(List<String> events) {
        return new HubDownloader(hub.endpoint(), cache, new DownloadListener() {
            @Override
            public void started(String file, long have, long total) {
                events.add("start " + file + " " + have + "/" + total);
            }

            @Override
            public void progressed(String file, long bytes) {}

            @Override
            public void finished(String file) {
                events.add("done " + file);
            }
        });
    }

    @Test
    void downloadsIntoTheCacheAndResolvesByName() throws Exception {
        List<String> events = new ArrayList<>();
        FetchResult r = downloader(events).fetch(HubName.parse("test-org/tiny"));
        Path dir = tmp.resolve("loupe/hub/test-org--tiny");
        assertThat(r.dir()).isEqualTo(dir);
        assertThat(r.downloaded()).containsExactly("config.json", "model.safetensors", "vocab.json", "merges.txt");
        assertThat(Files.readAllBytes(dir.resolve("model.safetensors"))).isEqualTo(weights);
        assertThat(Files.readString(dir.resolve("config.json"))).contains("n_layer");
        try (var s = Files.list(dir)) {
            assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".part"));
        }
        assertThat(events).contains("start model.safetensors 0/3000000", "done model.safetensors");
        // the LFS body came from the "CDN" (another host name), the metadata from the hub
        assertThat(hub.requests).anyMatch(q -> q.method().equals("GET") && q.path().startsWith("/cdn/test-org/tiny/model.safetensors"));

        assertThat(Hub.resolveModel("test-org/tiny", cache)).isEqualTo(dir);
        assertThat(Hub.resolveModel(dir.toString(), cache)).isEqualTo(dir);

        // a second fetch finds everything and makes no request
        int before = hub.requests.size();
        FetchResult again = downloader(events).fetch(HubName.parse("test-org/tiny"));
        assertThat(again.downloaded()).isEmpty();
        assertThat(hub.requests).hasSize(before);
    }

    @Test
    void interruptedDownloadResumesWithARange() throws Exception {
        hub.cutNextGets.set(1);
        assertThatThrownBy(() -> downloader(new ArrayList<>()).fetch(HubName.parse("test-org/tiny")))
                .isInstanceOf(LoupeException.class)
                .hasMessageContaining("model.safetensors").hasMessageContaining("resume");
        Path dir = tmp.resolve("loupe/hub/test-org--tiny");
        Path part = dir.resolve("model.safetensors.part");
        assertThat(part).exists();
        long have = Files.size(part);
        assertThat(have).isGreaterThan(0).isLessThan(weights.length);
        assertThat(dir.resolve("model.safetensors")).doesNotExist();

        List<String> events = new ArrayList<>();
        FetchResult r = downloader(events).fetch(HubName.parse("test-org/tiny"));
        assertThat(r.downloaded()).contains("model.safetensors");
        assertThat(Files.readAllBytes(dir.resolve("model.safetensors"))).isEqualTo(weights);
        assertThat(part).doesNotExist();
        assertThat(events).contains("start model.safetensors " + have + "/3000000");
        assertThat(hub.requests).anyMatch(q -> q.method().equals("GET") && ("bytes=" + have + "-").equals(q.range()));
    }

    @Test
    void corruptedDownloadIsRejectedAndNotKept() {
        hub.lfsSha.put("test-org/tiny/model.safetensors", "f".repeat(64));
        assertThatThrownBy(() -> downloader(new ArrayList<>()).fetch(HubName.parse("test-org/tiny")))
                .isInstanceOf(LoupeException.class)
                .hasMessageContaining("sha256 mismatch").hasMessageContaining("model.safetensors");
        Path dir = tmp.resolve("loupe/hub/test-org--tiny");
        assertThat(dir.resolve("model.safetensors")).doesNotExist();
        assertThat(dir.resolve("model.safetensors.part")).doesNotExist();
    }

    @Test
    void renamedRepositoriesAndMissingTokenizerFiles() {
        hub.renamed.put("tiny", "test-org/tiny");
        hub.files.remove("test-org/tiny/merges.txt");
        FetchResult r = downloader(new ArrayList<>()).fetch(HubName.parse("tiny"));
        assertThat(r.dir()).isEqualTo(tmp.resolve("loupe/hub/tiny"));
        assertThat(r.notOnHub()).containsExactly("merges.txt");
        assertThat(r.downloaded()).contains("config.json", "model.safetensors", "vocab.json");
    }

    @Test
    void missingRepositoryAndOfflineAreOneClearLine() throws Exception {
        assertThatThrownBy(() -> downloader(new ArrayList<>()).fetch(HubName.parse("nobody/nothing")))
                .isInstanceOf(LoupeException.class).hasMessageContaining("'nobody/nothing' has no config.json");
        String endpoint = hub.endpoint();
        hub.close();
        HubDownloader offline = new HubDownloader(endpoint, cache, DownloadListener.NONE);
        assertThatThrownBy(() -> offline.fetch(HubName.parse("test-org/tiny")))
                .isInstanceOf(LoupeException.class)
                .hasMessageContaining("cannot reach " + endpoint).hasMessageNotContaining("\n");
    }

    @Test
    void reusesAHuggingFaceCacheWithoutNetwork() throws Exception {
        Path repo = tmp.resolve("hf/hub/models--test-org--tiny");
        Path snap = repo.resolve("snapshots/abc123");
        Files.createDirectories(snap);
        Files.createDirectories(repo.resolve("refs"));
        Files.writeString(repo.resolve("refs/main"), "abc123\n");
        for (String f : List.of("config.json", "model.safetensors", "vocab.json", "merges.txt")) Files.writeString(snap.resolve(f), f);
        hub.close();
        FetchResult r = new HubDownloader(hub.endpoint(), cache, DownloadListener.NONE).fetch(HubName.parse("test-org/tiny"));
        assertThat(r.reusedHuggingFaceCache()).isTrue();
        assertThat(r.dir()).isEqualTo(snap);
        assertThat(Hub.resolveModel("test-org/tiny", cache)).isEqualTo(snap);
    }

    @Test
    void unknownModelNamesTellTheUserToFetch() {
        assertThatThrownBy(() -> Hub.resolveModel("gpt2-xl", cache))
                .isInstanceOf(LoupeException.class)
                .hasMessage("model 'gpt2-xl' is not a directory and not in the cache; run 'loupe fetch gpt2-xl'");
        assertThatThrownBy(() -> HubName.parse("a/b/c")).hasMessageContaining("not a hub model name");
        assertThatThrownBy(() -> HubName.parse("../etc")).hasMessageContaining("not a hub model name");
    }

    @Test
    void cacheLocationsFollowTheEnvironment() {
        Path home = Path.of("/home/u");
        HubCache d = HubCache.fromEnvironment(java.util.Map.of(), home);
        assertThat(d.loupeRoot()).isEqualTo(Path.of("/home/u/.cache/loupe/hub"));
        assertThat(d.huggingFaceRoot()).isEqualTo(Path.of("/home/u/.cache/huggingface/hub"));
        HubCache e = HubCache.fromEnvironment(java.util.Map.of("LOUPE_CACHE", "/c", "HF_HOME", "/h"), home);
        assertThat(e.loupeRoot()).isEqualTo(Path.of("/c/hub"));
        assertThat(e.huggingFaceRoot()).isEqualTo(Path.of("/h/hub"));
        assertThat(HubName.parse("openai-community/gpt2").cacheDirName()).isEqualTo("openai-community--gpt2");
    }
}
