package dev.loupe.analysis.napkin;

import java.util.List;
import java.util.stream.LongStream;

/**
 * How context length n drives inference cost (seed 000, "attention compute & memory cost"):
 * the KV cache stores K and V for every layer and position, {@code 2·L·n·d} numbers per sequence,
 * so it grows linearly in n; attention FLOPs for a whole causal sequence grow as n²:
 * {@code Σ_{i=1..n} 4·L·i·d ≈ 2·L·n²·d}, and the step that generates token n costs {@code 4·L·n·d}.
 */
public record ContextCost(long context, long kvCacheNumbers, double kvCacheBytes, double attentionFlopsPerStep,
                          double attentionFlopsPerSequence) {

    /** The cost at context {@code n} for one sequence, KV cache stored with {@code bytesPerNumber}. */
    public static ContextCost at(Architecture a, long n, int bytesPerNumber) {
        long kv = 2L * a.layers() * n * a.dModel();
        double step = 4.0 * a.layers() * n * a.dModel();
        double sequence = 4.0 * a.layers() * a.dModel() * (n * (n + 1) / 2.0);
        return new ContextCost(n, kv, (double) kv * bytesPerNumber, step, sequence);
    }

    /**
     * The table of 1k, 2k, 4k … 128k tokens; for a model whose context is under 1k, the contexts it
     * can run instead: powers of two up to its n_ctx (at most 8 rows), then n_ctx itself.
     */
    public static List<ContextCost> table(Architecture a, int bytesPerNumber) {
        if (a.context() >= 1024) return LongStream.rangeClosed(0, 7).map(i -> 1024L << i).mapToObj(n -> at(a, n, bytesPerNumber)).toList();
        long top = Long.highestOneBit(Math.max(1, a.context()));
        LongStream powers = LongStream.rangeClosed(0, 7).map(i -> top >> (7 - i)).filter(n -> n >= 1).distinct();
        return LongStream.concat(powers, top == a.context() ? LongStream.empty() : LongStream.of(a.context()))
                .mapToObj(n -> at(a, n, bytesPerNumber)).toList();
    }
}
