package dev.loupe.hub;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Where downloaded models live:
 * <ul>
 *   <li>Loupe's cache: {@code $LOUPE_CACHE/hub/{owner--name}/} (default {@code $LOUPE_CACHE} =
 *       {@code ~/.cache/loupe}), the files side by side, a ready model directory;</li>
 *   <li>an existing Hugging Face cache, reused read-only: {@code $HF_HUB_CACHE}, else
 *       {@code $HF_HOME/hub}, else {@code $XDG_CACHE_HOME/huggingface/hub}, else
 *       {@code ~/.cache/huggingface/hub}; a model is in {@code models--{owner}--{name}/snapshots/{commit}/}
 *       (the commit in {@code refs/main} first).</li>
 * </ul>
 *
 * @param loupeRoot       the directory holding Loupe's per-model directories
 * @param huggingFaceRoot the Hugging Face hub cache directory (may not exist)
 */
public record HubCache(Path loupeRoot, Path huggingFaceRoot) {

    /**
     * The caches named by the environment variables (see class comment). The system properties
     * {@code loupe.cache} and {@code loupe.hf-hub-cache}, when set, take the place of
     * {@code $LOUPE_CACHE} and {@code $HF_HUB_CACHE} (tests point them at temporary directories).
     */
    public static HubCache fromEnvironment() {
        Map<String, String> env = new java.util.HashMap<>(System.getenv());
        String loupe = System.getProperty("loupe.cache"), hf = System.getProperty("loupe.hf-hub-cache");
        if (loupe != null) env.put("LOUPE_CACHE", loupe);
        if (hf != null) env.put("HF_HUB_CACHE", hf);
        return fromEnvironment(env, Path.of(System.getProperty("user.home")));
    }

    static HubCache fromEnvironment(Map<String, String> env, Path home) {
        String loupe = env.get("LOUPE_CACHE");
        Path loupeRoot = (loupe != null && !loupe.isBlank() ? Path.of(loupe) : home.resolve(".cache").resolve("loupe")).resolve("hub");
        Path hf;
        if (nonBlank(env.get("HF_HUB_CACHE"))) hf = Path.of(env.get("HF_HUB_CACHE"));
        else if (nonBlank(env.get("HF_HOME"))) hf = Path.of(env.get("HF_HOME")).resolve("hub");
        else if (nonBlank(env.get("XDG_CACHE_HOME"))) hf = Path.of(env.get("XDG_CACHE_HOME")).resolve("huggingface").resolve("hub");
        else hf = home.resolve(".cache").resolve("huggingface").resolve("hub");
        return new HubCache(loupeRoot, hf);
    }

    private static boolean nonBlank(String s) {
        return s != null && !s.isBlank();
    }

    /** Loupe's directory for a model (may not exist yet). */
    public Path loupeDir(HubName name) {
        return loupeRoot.resolve(name.cacheDirName());
    }

    /** Loupe's cache directory of the model when it holds all {@code files}. */
    public Optional<Path> findInLoupe(HubName name, List<String> files) {
        Path dir = loupeDir(name);
        return hasAll(dir, files) ? Optional.of(dir) : Optional.empty();
    }

    /** A Hugging Face snapshot directory of the model that holds all {@code files}. */
    public Optional<Path> findInHuggingFace(HubName name, List<String> files) {
        Path repo = huggingFaceRoot.resolve(name.huggingFaceDirName());
        Path snapshots = repo.resolve("snapshots");
        if (!Files.isDirectory(snapshots)) return Optional.empty();
        List<Path> candidates = new ArrayList<>();
        try {
            Path ref = repo.resolve("refs").resolve("main");
            if (Files.isRegularFile(ref)) candidates.add(snapshots.resolve(Files.readString(ref).strip()));
            try (Stream<Path> s = Files.list(snapshots)) {
                s.filter(Files::isDirectory).sorted().forEach(candidates::add);
            }
        } catch (IOException e) {
            return Optional.empty();
        }
        return candidates.stream().filter(d -> hasAll(d, files)).findFirst();
    }

    /** The model in either cache (Loupe's first), when it holds all {@code files}. */
    public Optional<Path> find(HubName name, List<String> files) {
        return findInLoupe(name, files).or(() -> findInHuggingFace(name, files));
    }

    private static boolean hasAll(Path dir, List<String> files) {
        if (!Files.isDirectory(dir)) return false;
        for (String f : files) if (!Files.isRegularFile(dir.resolve(f))) return false;
        return true;
    }
}
