package dev.loupe.model.io;

import dev.loupe.LoupeException;
import dev.loupe.model.GptConfig;

import java.util.Locale;

/**
 * Whether a model's parameters fit in this JVM's heap, checked from the configuration alone (its
 * parameter count in {@code long}, 4 bytes each) before anything is allocated: a configuration with
 * an absurd size is refused in milliseconds with the figure, instead of running for minutes and
 * dying with {@link OutOfMemoryError}.
 */
public final class HeapBudget {
    private HeapBudget() {}

    /**
     * @param what what is being loaded or created, for the message (e.g. the directory)
     * @throws LoupeException "WHAT: the model has N parameters (X GB as float32) but the JVM heap has Y GB free ..."
     */
    public static void require(String what, GptConfig c) {
        require(what, c, 4, "float32");
    }

    /** As {@link #require(String, GptConfig)} for weights of {@code bytesPerParameter} bytes ({@code format} names them). */
    public static void require(String what, GptConfig c, int bytesPerParameter, String format) {
        long params = c.parameterCount();
        long bytes = params > Long.MAX_VALUE / bytesPerParameter ? Long.MAX_VALUE : bytesPerParameter * params;
        Runtime rt = Runtime.getRuntime();
        if (bytes <= free(rt)) return;
        System.gc(); // only near the limit: garbage may be what stands in the way
        long free = free(rt);
        if (bytes <= free) return;
        throw new LoupeException(String.format(Locale.ROOT, "%s: the model has %,d parameters (%s as %s: %d layers,"
                        + " n_embd %d, vocab %d) but the JVM heap has %s free of %s at most; raise it with"
                        + " LOUPE_JVM_OPTS=-Xmx... if the configuration is right",
                what, params, gb(bytes), format, c.nLayer(), c.dModel(), c.vocabSize(), gb(free), gb(rt.maxMemory())));
    }

    private static long free(Runtime rt) {
        return rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
    }

    private static String gb(long bytes) {
        return bytes == Long.MAX_VALUE ? "more than 9 EB" : String.format(Locale.ROOT, "%.2f GB", bytes / 1e9);
    }
}
