package dev.loupe.tensor.matmul;

import java.util.Optional;

/**
 * How long OpenBLAS's worker threads keep spinning after a product before they sleep. OpenBLAS
 * reads {@code OPENBLAS_THREAD_TIMEOUT} = n as it loads and spins for 2ⁿ cycles, n = 28 by default:
 * about 80 ms here, during which its threads call {@code sched_yield} in a loop on the cores that
 * Loupe's own kernels (the loss over the vocabulary, attention, LayerNorm, AdamW) want next. In a
 * small-model training at 8 × 512 that was about 70 ms of system time per step. So, before loading
 * the library, Loupe sets n = {@value #LOUPE_DEFAULT} (2²⁰ cycles, about 0.3 ms: long enough to
 * cover back-to-back products, short enough not to spin through a Java kernel) unless the
 * environment already sets it. Measured on this project's two-core machine (docs/performance.md,
 * "OpenBLAS's spinning threads"): small 1 × 1024 steps 355–364 → 303–314 ms, 8 × 512 1175–1229 →
 * 1130–1139 ms, a 1,024-token prefill 811–881 → 739–769 ms; 4 × 64 unchanged.
 *
 * <p>The PyTorch peers of the benchmarks keep OpenBLAS's default: this is Loupe's tuning, not a
 * property of the kernels both sides run.
 */
public final class OpenBlasThreadTimeout {
    static final String VARIABLE = "OPENBLAS_THREAD_TIMEOUT";
    /** n in 2ⁿ cycles. */
    static final int LOUPE_DEFAULT = 20;

    private static volatile String applied;

    private OpenBlasThreadTimeout() {}

    /** The value to set for an environment value ({@code null} = unset): Loupe's default, or nothing when the user chose. */
    static Optional<String> decide(String environment) {
        return environment == null || environment.isBlank() ? Optional.of(Integer.toString(LOUPE_DEFAULT)) : Optional.empty();
    }

    /**
     * Sets {@code OPENBLAS_THREAD_TIMEOUT} in the C environment when the process has none, before
     * OpenBLAS loads; returns what is in force, in words (later calls return the first answer).
     */
    static synchronized String applyBeforeLoading() {
        if (applied != null) return applied;
        String env = System.getenv(VARIABLE);
        Optional<String> set = decide(env);
        if (set.isEmpty()) applied = VARIABLE + "=" + env + " (from the environment)";
        else if (CEnvironment.set(VARIABLE, set.get())) applied = VARIABLE + "=" + set.get() + " (Loupe's default; the peer keeps OpenBLAS's 28)";
        else applied = "OpenBLAS's default thread timeout (could not set " + VARIABLE + ")";
        return applied;
    }

    /** The setting in force, in words, for benchmark reports. */
    public static String describe() {
        return applyBeforeLoading();
    }
}
