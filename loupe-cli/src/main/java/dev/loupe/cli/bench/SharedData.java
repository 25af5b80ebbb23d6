package dev.loupe.cli.bench;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The shared data directory beside the repository (Tiny Shakespeare, GPT-2's tokenizer files),
 * which is never copied into the repository: {@code $LOUPE_SHARED}, else {@code <repo>/../shared}
 * where {@code <repo>} is found upwards from the application jar or the working directory.
 */
final class SharedData {
    private SharedData() {}

    /** The shared directory, when it exists. */
    static Optional<Path> dir() {
        String env = System.getenv("LOUPE_SHARED");
        if (env != null && !env.isBlank()) return Optional.of(Path.of(env)).filter(Files::isDirectory);
        List<Path> starts = new ArrayList<>();
        try {
            starts.add(Path.of(SharedData.class.getProtectionDomain().getCodeSource().getLocation().toURI()));
        } catch (URISyntaxException | SecurityException | NullPointerException e) {
            // no code source: only the working directory is searched
        }
        starts.add(Path.of("").toAbsolutePath());
        for (Path start : starts) {
            for (Path p = start; p != null; p = p.getParent()) {
                if (Files.isRegularFile(p.resolve("pom.xml")) && Files.isDirectory(p.resolve("loupe-tokens"))) {
                    Path shared = p.resolveSibling("shared");
                    if (Files.isDirectory(shared)) return Optional.of(shared);
                    break;
                }
            }
        }
        return Optional.empty();
    }

    /** {@code data/NAME} of the shared directory, when present. */
    static Optional<Path> data(String name) {
        return dir().map(d -> d.resolve("data").resolve(name)).filter(Files::isRegularFile);
    }
}
