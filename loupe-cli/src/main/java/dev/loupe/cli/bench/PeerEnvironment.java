package dev.loupe.cli.bench;

import dev.loupe.tensor.matmul.BlasMatmul;
import dev.loupe.tensor.matmul.Matmul;
import dev.loupe.tensor.matmul.OpenBlasCoreType;
import dev.loupe.tensor.matmul.OpenBlasThreadTimeout;

/**
 * What a PyTorch peer process needs so that it runs like Loupe: the same thread count (torch's, and
 * OPENBLAS_NUM_THREADS / OMP_NUM_THREADS for Debian's torch, which keeps its own OpenBLAS pool) and
 * the same OpenBLAS kernels ({@link OpenBlasCoreType#forPeers()}), so that both sides of a ratio
 * multiply matrices with the same code.
 */
public final class PeerEnvironment {
    private PeerEnvironment() {}

    /** Sets the peer's thread count and OpenBLAS kernels in {@code pb}'s environment. */
    public static void apply(ProcessBuilder pb, int threads) {
        pb.environment().put("OPENBLAS_NUM_THREADS", Integer.toString(threads));
        pb.environment().put("OMP_NUM_THREADS", Integer.toString(threads));
        pb.environment().putAll(OpenBlasCoreType.forPeers());
    }

    /**
     * One line for a benchmark's header: which OpenBLAS kernels run, why, and that the peer gets the
     * same; and the thread timeout, which the peer does not get ({@link OpenBlasThreadTimeout}).
     */
    public static String kernelsLine() {
        String core = Matmul.backend() instanceof BlasMatmul b ? b.coreName() : "";
        String asked = OpenBlasCoreType.forPeers().getOrDefault("OPENBLAS_CORETYPE", "");
        return "OpenBLAS: " + (core.isEmpty() ? "" : core + " kernels, ") + OpenBlasCoreType.describe() + notTaken(asked, core)
                + "; the PyTorch peer runs with the same setting. Threads: " + OpenBlasThreadTimeout.describe();
    }

    /** A warning when OpenBLAS runs other kernels than the core type asked for (an unknown name, say); else "". */
    static String notTaken(String asked, String running) {
        return !running.isEmpty() && !asked.isEmpty() && !running.equalsIgnoreCase(asked)
                ? " — OpenBLAS did not take '" + asked + "' and chose " + running + " itself" : "";
    }
}
