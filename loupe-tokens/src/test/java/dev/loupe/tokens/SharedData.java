package dev.loupe.tokens;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Locates the shared data directory for integration tests: {@code LOUPE_SHARED}, else
 * {@code <repo>/../shared}, else {@code /work/shared}. Tests that need it skip when it is absent.
 */
public final class SharedData {
    private SharedData() {}

    public static Optional<Path> dir() {
        String env = System.getenv("LOUPE_SHARED");
        if (env != null && !env.isBlank() && Files.isDirectory(Path.of(env))) return Optional.of(Path.of(env));
        Path cwd = Path.of("").toAbsolutePath();
        for (Path p = cwd; p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("pom.xml")) && Files.isDirectory(p.resolve("loupe-tokens"))) {
                Path shared = p.getParent() == null ? null : p.getParent().resolve("shared");
                if (shared != null && Files.isDirectory(shared)) return Optional.of(shared);
                break;
            }
        }
        Path fixed = Path.of("/work/shared");
        return Files.isDirectory(fixed) ? Optional.of(fixed) : Optional.empty();
    }

    /** A file under {@code data/} of the shared directory, when present. */
    public static Optional<Path> data(String name) {
        return dir().map(d -> d.resolve("data").resolve(name)).filter(Files::exists);
    }
}
