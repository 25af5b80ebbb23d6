package dev.loupe.tensor;

/**
 * Per-thread reusable float buffers for the kernels' temporaries (partial sums, widened panels), so
 * that a decoding step allocates nothing: the buffer of the calling thread grows to the largest size
 * asked and is kept. The caller owns it until its kernel returns. A worker thread of the kernels'
 * pool gets a fresh array instead: while it waits for a split kernel it may run another task of the
 * pool, which would otherwise reuse its buffer.
 */
public final class Scratch {
    private static final ThreadLocal<float[]> BUFFER = ThreadLocal.withInitial(() -> new float[0]);
    private static final ThreadLocal<float[]> PANEL = ThreadLocal.withInitial(() -> new float[0]);

    private Scratch() {}

    /** At least {@code n} floats of the calling thread's partial-sum buffer (contents undefined). */
    public static float[] floats(int n) {
        if (Thread.currentThread() instanceof java.util.concurrent.ForkJoinWorkerThread) return new float[n];
        float[] b = BUFFER.get();
        if (b.length < n) BUFFER.set(b = new float[n]);
        return b;
    }

    /** At least {@code n} floats of the calling thread's panel buffer, distinct from {@link #floats}. */
    public static float[] panel(int n) {
        if (Thread.currentThread() instanceof java.util.concurrent.ForkJoinWorkerThread) return new float[n];
        float[] b = PANEL.get();
        if (b.length < n) PANEL.set(b = new float[n]);
        return b;
    }
}
