package dev.loupe.tensor;

import java.util.concurrent.ForkJoinPool;
import java.util.stream.IntStream;

/**
 * The one place kernels split work across cores. All kernels use the same pool so that nested or
 * concurrent kernels do not oversubscribe a small machine.
 *
 * <p>Determinism: work is split into fixed chunks whose boundaries depend only on the sizes and the
 * thread count, and each chunk writes disjoint outputs, so results are identical run to run for a
 * given thread count. {@code LOUPE_THREADS} (or the system property {@code loupe.threads})
 * overrides the number of threads, which defaults to the available processors.
 */
public final class Parallel {
    private static final int THREADS = threadsFromEnvironment();
    private static final ForkJoinPool POOL = THREADS == 1 ? null : new ForkJoinPool(THREADS);

    private Parallel() {}

    /** Number of worker threads the kernels use. */
    public static int threads() {
        return THREADS;
    }

    /** A task over the index range [from, to). */
    @FunctionalInterface
    public interface RangeTask {
        void run(int from, int to);
    }

    /**
     * Runs {@code task} over [0, n) split into at most {@link #threads()} × 4 contiguous chunks of at
     * least {@code minChunk} indices; runs inline when the work is too small to be worth splitting.
     */
    public static void forRange(int n, int minChunk, RangeTask task) {
        if (n <= 0) return;
        int chunks = Math.min(THREADS * 4, Math.max(1, n / Math.max(1, minChunk)));
        if (chunks <= 1 || POOL == null) {
            task.run(0, n);
            return;
        }
        int per = (n + chunks - 1) / chunks;
        int count = (n + per - 1) / per;
        Runnable body = () -> IntStream.range(0, count).parallel().forEach(c -> task.run(c * per, Math.min(n, (c + 1) * per)));
        if (Thread.currentThread() instanceof java.util.concurrent.ForkJoinWorkerThread w && w.getPool() == POOL) {
            body.run();
        } else {
            POOL.submit(body).join();
        }
    }

    private static int threadsFromEnvironment() {
        String v = System.getProperty("loupe.threads", System.getenv("LOUPE_THREADS"));
        int cores = Runtime.getRuntime().availableProcessors();
        if (v == null || v.isBlank()) return cores;
        try {
            int t = Integer.parseInt(v.trim());
            return t >= 1 ? t : cores;
        } catch (NumberFormatException e) {
            return cores;
        }
    }
}
