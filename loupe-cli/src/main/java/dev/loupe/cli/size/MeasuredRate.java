package dev.loupe.cli.size;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * This machine's measured matrix-multiplication rate, as last saved by {@code loupe bench kernels}
 * (the median GFLOPS of its large shapes, best backend), used by {@code loupe size} to turn FLOPs
 * into time.
 */
public final class MeasuredRate {
    private MeasuredRate() {}

    /** Where {@code bench kernels} keeps its last result (tests may set the system property {@code loupe.cache}): {@code $LOUPE_CACHE} or {@code ~/.cache/loupe}. */
    public static Path file() {
        String cache = System.getProperty("loupe.cache", System.getenv("LOUPE_CACHE"));
        Path dir = cache != null && !cache.isBlank() ? Path.of(cache) : Path.of(System.getProperty("user.home"), ".cache", "loupe");
        return dir.resolve("bench-kernels.json");
    }

    /** The best backend's median GFLOPS over shapes with m > 1, in FLOP/s, if a measurement exists. */
    public static Optional<Rate> load() {
        Path f = file();
        if (!Files.isRegularFile(f)) return Optional.empty();
        try {
            JsonNode root = new ObjectMapper().readTree(f.toFile());
            Rate best = null;
            for (JsonNode b : root.path("backends")) {
                double[] large = b.path("matmul").valueStream()
                        .filter(s -> s.path("m").asInt() > 1)
                        .mapToDouble(s -> s.path("gflops").asDouble()).sorted().toArray();
                // the lower median: a sustained rate should not be flattered by the best shape
                OptionalDouble median = large.length == 0 ? OptionalDouble.empty() : OptionalDouble.of(large[(large.length - 1) / 2]);
                if (median.isPresent() && (best == null || median.getAsDouble() * 1e9 > best.flopsPerSecond())) {
                    best = new Rate(median.getAsDouble() * 1e9, b.path("backend").asText("?"));
                }
            }
            return Optional.ofNullable(best);
        } catch (Exception e) {
            return Optional.empty(); // an unreadable old measurement is as good as none
        }
    }

    public record Rate(double flopsPerSecond, String backend) {}
}
