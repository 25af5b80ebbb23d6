package dev.loupe.tensor.matmul;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Which OpenBLAS kernels run the products: OpenBLAS picks its kernels (its "core type") when the
 * library loads, from the CPU or from the environment variable {@code OPENBLAS_CORETYPE}. On a CPU
 * with AVX-512 (AVX512F, BW, DQ and VL) the SkylakeX kernels run sgemm at 390–430 GFLOPS on this
 * project's two-core machine, against 220–240 for the AVX2 (Haswell) kernels that the machine's
 * environment asks for (docs/performance.md, "Which OpenBLAS kernels"). So, before loading the
 * library, Loupe sets {@code OPENBLAS_CORETYPE} for its own process:
 *
 * <ul>
 *   <li>{@code LOUPE_BLAS_CORETYPE} (or the system property {@code loupe.blas.coretype}) unset or
 *       {@code auto}: SkylakeX when the CPU has AVX-512 and the environment names no AVX-512 core
 *       type already; otherwise the environment is left as it is.</li>
 *   <li>{@code keep}: the environment is left as it is.</li>
 *   <li>any other value: that core type (OpenBLAS's names, e.g. Haswell, SkylakeX, Zen).</li>
 * </ul>
 *
 * The peers a benchmark runs (PyTorch, which uses the same OpenBLAS) get the same value
 * ({@link #forPeers()}), so both sides of a ratio run the same kernels.
 */
public final class OpenBlasCoreType {
    /** OpenBLAS core types that use AVX-512 (its names for x86-64, see OpenBLAS's driver/others/dynamic.c). */
    static final Set<String> AVX512_TYPES = Set.of("skylakex", "cooperlake", "sapphirerapids");
    /** What Loupe asks for on an AVX-512 CPU. */
    static final String AVX512_CHOICE = "SkylakeX";
    private static final String VARIABLE = "OPENBLAS_CORETYPE";

    /** The decision: the value to set (empty to leave the environment alone) and why, for reports. */
    public record Choice(Optional<String> set, String reason) {}

    private static volatile Choice applied;

    private OpenBlasCoreType() {}

    /**
     * The decision for a setting of {@code LOUPE_BLAS_CORETYPE} ({@code null} = auto), the current
     * {@code OPENBLAS_CORETYPE} ({@code null} = unset) and the CPU's feature flags (lower case, as in
     * /proc/cpuinfo). Pure, so that every branch is tested.
     */
    static Choice decide(String setting, String environment, Set<String> cpuFlags) {
        String s = setting == null ? "auto" : setting.trim();
        if (s.isEmpty() || s.equalsIgnoreCase("auto")) {
            boolean avx512 = cpuFlags.containsAll(Set.of("avx512f", "avx512bw", "avx512dq", "avx512vl"));
            if (!avx512) return new Choice(Optional.empty(), "no AVX-512 on this CPU: OpenBLAS chooses"
                    + (environment == null ? "" : " (" + VARIABLE + "=" + environment + ")"));
            if (environment != null && AVX512_TYPES.contains(environment.trim().toLowerCase(Locale.ROOT))) {
                return new Choice(Optional.empty(), VARIABLE + "=" + environment + " already uses AVX-512");
            }
            return new Choice(Optional.of(AVX512_CHOICE), "AVX-512 CPU" + (environment == null ? ""
                    : "; the environment's " + VARIABLE + "=" + environment + " replaced; LOUPE_BLAS_CORETYPE=keep keeps it"));
        }
        if (s.equalsIgnoreCase("keep")) return new Choice(Optional.empty(), "LOUPE_BLAS_CORETYPE=keep"
                + (environment == null ? "" : " (" + VARIABLE + "=" + environment + ")"));
        return new Choice(Optional.of(s), "LOUPE_BLAS_CORETYPE=" + s);
    }

    /**
     * Decides from this process's environment and CPU and, when a core type is chosen, sets
     * {@code OPENBLAS_CORETYPE} in the C environment (libc {@code setenv}) so that OpenBLAS, loaded
     * next, reads it. Call once, before the library loads; later calls return the first decision.
     */
    static synchronized Choice applyBeforeLoading() {
        if (applied != null) return applied;
        String setting = System.getProperty("loupe.blas.coretype", System.getenv("LOUPE_BLAS_CORETYPE"));
        Choice c = decide(setting, System.getenv(VARIABLE), cpuFlags());
        if (c.set().isPresent() && !CEnvironment.set(VARIABLE, c.set().get())) {
            c = new Choice(Optional.empty(), "could not set " + VARIABLE + " (no setenv): OpenBLAS chooses");
        }
        applied = c;
        return c;
    }

    /**
     * The environment entries a peer process (PyTorch on the same OpenBLAS) needs to run the kernels
     * Loupe runs: {@code OPENBLAS_CORETYPE} when Loupe sets one, else nothing. Decides first if no
     * product has run yet (a benchmark starts its peer before its own model).
     */
    public static Map<String, String> forPeers() {
        Choice c = applyBeforeLoading();
        return c.set().isEmpty() ? Map.of() : Map.of(VARIABLE, c.set().get());
    }

    /** The decision in force, in words, for benchmark reports (deciding first if needed). */
    public static String describe() {
        Choice c = applyBeforeLoading();
        return (c.set().isPresent() ? VARIABLE + "=" + c.set().get() : "OpenBLAS's own choice") + " (" + c.reason() + ")";
    }

    /** The CPU's feature flags from /proc/cpuinfo (Linux); empty elsewhere or when unreadable. */
    static Set<String> cpuFlags() {
        try {
            Path info = Path.of("/proc/cpuinfo");
            if (!Files.isReadable(info)) return Set.of();
            return Files.readAllLines(info).stream()
                    .filter(l -> l.startsWith("flags"))
                    .findFirst()
                    .map(l -> Arrays.stream(l.substring(l.indexOf(':') + 1).trim().split("\\s+")).collect(Collectors.toUnmodifiableSet()))
                    .orElse(Set.of());
        } catch (IOException | RuntimeException e) {
            return Set.of();
        }
    }
}
