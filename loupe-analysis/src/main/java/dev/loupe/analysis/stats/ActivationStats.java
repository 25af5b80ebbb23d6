package dev.loupe.analysis.stats;

import dev.loupe.model.Gpt;
import dev.loupe.tensor.Tensor;

import java.io.Serializable;
import java.util.List;
import java.util.function.BinaryOperator;

/**
 * Corpus statistics of every unit at one hook point (see {@link HookUnits}): per unit mean,
 * variance, max, frequency of positive values, a histogram and the top-k activating contexts. Each
 * window of a {@link CorpusWindows} runs through the model as its own sequence (batch 1), is
 * summarised by {@link #ofWindow}, and the window summaries are combined in the fixed order of a
 * {@link WindowTree}: the single-machine {@link #compute} and a distributed job that uses the same
 * two functions give the same bits.
 */
public final class ActivationStats implements Serializable {
    /**
     * What to collect.
     *
     * @param hook    hook name, e.g. {@code blocks.0.mlp.hook_post}
     * @param k       top examples kept per unit
     * @param before  context tokens kept before a top position
     * @param after   context tokens kept after it
     * @param binning histogram bins
     */
    public record Spec(String hook, int k, int before, int after, Binning binning) implements Serializable {
        public Spec {
            if (k < 0 || before < 0 || after < 0) throw new IllegalArgumentException("k, before and after must be >= 0");
        }
    }

    private final long windows;
    private final UnitStats[] units;
    private final int k;

    private ActivationStats(long windows, UnitStats[] units, int k) {
        this.windows = windows;
        this.units = units;
        this.k = k;
    }

    /**
     * The summary of one window: runs {@code tokens} (one sequence of T ≤ context tokens whose
     * first has position {@code first}) through {@code gpt} and reads the hook's units.
     */
    public static ActivationStats ofWindow(Gpt gpt, Spec spec, int[] tokens, long first) {
        HookUnits hu = HookUnits.of(gpt.config(), spec.hook());
        Tensor act = gpt.runWithCache(tokens, 1, tokens.length, spec.hook()::equals).cache().get(spec.hook());
        float[] values = hu.values(act);                                        // [T, n]
        UnitStats[] us = new UnitStats[hu.units()];
        for (int u = 0; u < us.length; u++) {
            us[u] = UnitStats.ofSequence(values, hu.units(), u, tokens, first, spec.binning(), spec.k(), spec.before(), spec.after());
        }
        return new ActivationStats(1, us, spec.k());
    }

    /** The summary of this summary's windows followed by {@code other}'s. */
    public ActivationStats merge(ActivationStats other) {
        if (other.units.length != units.length) throw new IllegalArgumentException("different unit counts");
        UnitStats[] out = new UnitStats[units.length];
        for (int u = 0; u < out.length; u++) out[u] = units[u].merge(other.units[u], k);
        return new ActivationStats(windows + other.windows, out, k);
    }

    /** {@link #merge} as an operator, for {@link WindowTree}. */
    public static BinaryOperator<ActivationStats> merger() {
        return ActivationStats::merge;
    }

    /**
     * The single-machine path: every window of {@code shards} (token arrays, in order) cut by
     * {@link CorpusWindows} with {@code seq} tokens, summarised and combined by {@link WindowTree}.
     *
     * @throws IllegalArgumentException when the shards hold no complete window
     */
    public static ActivationStats compute(Gpt gpt, List<int[]> shards, int seq, Spec spec) {
        long[] sizes = shards.stream().mapToLong(s -> s.length).toArray();
        CorpusWindows w = new CorpusWindows(sizes, seq);
        if (w.count() == 0) throw new IllegalArgumentException("no window of " + seq + " tokens in the input");
        WindowTree.Builder<ActivationStats> b = new WindowTree.Builder<>(merger());
        for (long i = 0; i < w.count(); i++) {
            int[] shard = shards.get(w.shardOf(i));
            int start = (int) w.startInShard(i);
            b.add(i, ofWindow(gpt, spec, java.util.Arrays.copyOfRange(shard, start, start + seq), w.position(i)));
        }
        return WindowTree.finish(b.nodes(), w.count(), merger());
    }

    /** Number of units. */
    public int units() { return units.length; }

    /** Windows summarised. */
    public long windows() { return windows; }

    /** The statistics of unit {@code u}. */
    public UnitStats unit(int u) { return units[u]; }
}
