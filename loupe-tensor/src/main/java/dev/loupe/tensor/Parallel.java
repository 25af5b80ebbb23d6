package dev.loupe.tensor;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The one place kernels split work across cores. All kernels use the same pool so that nested or
 * concurrent kernels do not oversubscribe a small machine.
 *
 * <p>Determinism: work is split into fixed chunks whose boundaries depend only on the sizes and the
 * thread count, and each chunk writes disjoint outputs, so results are identical run to run for a
 * given thread count, whichever thread runs which chunk.
 *
 * <p>The calling thread works too: the pool has {@code threads − 1} workers, and the caller and
 * the workers take chunks from a shared counter until none is left. A caller never sleeps while a
 * worker it woke waits for a core (on a busy machine a wake-up can take milliseconds): it simply
 * takes more chunks, and waits (spinning briefly, then sleeping 20 µs at a time) only for chunks
 * already started. KV-cache decoding makes about a
 * hundred such calls per token, so this is what keeps its slow steps rare (docs/performance.md).
 * A call from inside a chunk (a nested kernel) runs inline. {@code LOUPE_THREADS} (or the system property {@code loupe.threads})
 * overrides the number of threads, which defaults to the available processors.
 */
public final class Parallel {
    private static final int THREADS = threadsFromEnvironment();
    /** The workers besides the calling thread. */
    private static final ForkJoinPool POOL = THREADS == 1 ? null : new ForkJoinPool(THREADS - 1);

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
        if (Thread.currentThread() instanceof java.util.concurrent.ForkJoinWorkerThread w && w.getPool() == POOL) {
            task.run(0, n);                                      // nested: this thread is already one of the workers
            return;
        }
        AtomicInteger next = new AtomicInteger(), done = new AtomicInteger();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Runnable worker = () -> {
            for (int c; (c = next.getAndIncrement()) < count; ) {
                try {
                    if (failure.get() == null) task.run(c * per, Math.min(n, (c + 1) * per));   // after a failure: skip
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                } finally {
                    done.incrementAndGet();
                }
            }
        };
        for (int i = Math.min(THREADS - 1, count - 1); i > 0; i--) POOL.execute(worker);
        worker.run();
        // Every chunk is taken; wait for those a worker is still running (a worker that wakes later finds none left).
        for (int spins = 0; done.get() < count; spins++) {
            if (spins < 1 << 12) Thread.onSpinWait();                 // microseconds: a short chunk
            else if (spins < (1 << 12) + 64) Thread.yield();
            else java.util.concurrent.locks.LockSupport.parkNanos(20_000); // a long chunk: stop burning the core
        }
        Throwable t = failure.get();
        if (t instanceof RuntimeException r) throw r;
        if (t instanceof Error e) throw e;
        if (t != null) throw new IllegalStateException(t);
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
