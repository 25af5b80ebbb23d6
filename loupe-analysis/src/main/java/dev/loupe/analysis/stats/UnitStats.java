package dev.loupe.analysis.stats;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Mergeable statistics of one unit over the positions seen so far: count, Welford mean and sum of
 * squared deviations (M2), max, count of positive values, a histogram with fixed {@link Binning},
 * and the top-k positions with their contexts. Immutable; {@link #merge} combines the statistics of
 * two disjoint sets of positions (Chan et al.'s parallel update for the moments), so partitions of a
 * corpus can be summarised apart and combined. Merging is exact for count, max, frequency,
 * histogram and top-k; the moments depend (in the last bits) on the merge order, which
 * {@link WindowTree} fixes.
 */
public final class UnitStats implements Serializable {
    private final long count;
    private final double mean;
    private final double m2;
    private final float max;
    private final long positive;
    private final long[] histogram;        // [bins + 2]: underflow, bins, overflow
    private final List<TopExample> top;    // best first, at most k

    private UnitStats(long count, double mean, double m2, float max, long positive, long[] histogram, List<TopExample> top) {
        this.count = count;
        this.mean = mean;
        this.m2 = m2;
        this.max = max;
        this.positive = positive;
        this.histogram = histogram;
        this.top = top;
    }

    /**
     * The statistics of unit {@code unit} over one sequence: {@code values} is {@code [T, n]}
     * row-major, {@code tokens} the T token ids, {@code first} the input index of token 0. Positions
     * are folded in order with Welford's update; each top example keeps the tokens from
     * {@code before} positions before to {@code after} positions after it, clipped to the sequence.
     */
    public static UnitStats ofSequence(float[] values, int n, int unit, int[] tokens, long first, Binning binning,
                                       int k, int before, int after) {
        int t = tokens.length;
        long count = 0, positive = 0;
        double mean = 0, m2 = 0;
        float max = Float.NEGATIVE_INFINITY;
        long[] hist = new long[binning.bins() + 2];
        int[] best = new int[Math.min(k, t)];                     // positions of the best so far, best first
        int held = 0;
        for (int p = 0; p < t; p++) {
            float v = values[p * n + unit];
            count++;
            double d = v - mean;
            mean += d / count;
            m2 += d * (v - mean);
            max = Math.max(max, v);
            if (v > 0) positive++;
            hist[binning.index(v)]++;
            held = insert(best, held, p, values, n, unit);
        }
        List<TopExample> top = new ArrayList<>(held);
        for (int i = 0; i < held; i++) {
            int p = best[i];
            int from = Math.max(0, p - before), to = Math.min(t, p + after + 1);
            float[] ctx = new float[to - from];
            for (int q = from; q < to; q++) ctx[q - from] = values[q * n + unit];
            top.add(new TopExample(first + p, values[p * n + unit], first + from, Arrays.copyOfRange(tokens, from, to), ctx));
        }
        return new UnitStats(count, mean, m2, max, positive, hist, List.copyOf(top));
    }

    /** Inserts position p into the best-first list (strictly larger value wins; ties keep the earlier position). */
    private static int insert(int[] best, int held, int p, float[] values, int n, int unit) {
        if (best.length == 0) return 0;
        float v = values[p * n + unit];
        int at = held;
        while (at > 0 && Float.compare(v, values[best[at - 1] * n + unit]) > 0) at--;
        if (at >= best.length) return held;
        int moved = Math.min(held, best.length - 1) - at;
        System.arraycopy(best, at, best, at + 1, moved);
        best[at] = p;
        return Math.min(held + 1, best.length);
    }

    /**
     * The statistics of the positions of {@code this} followed by those of {@code other}: counts and
     * histograms add, moments by Chan et al.'s formula, top-k by the total order of
     * {@link TopExample#compare}, keeping {@code k}.
     */
    public UnitStats merge(UnitStats other, int k) {
        if (other.count == 0) return this;
        if (count == 0) return other;
        long n = count + other.count;
        double delta = other.mean - mean;
        double mergedMean = mean + delta * other.count / n;
        double mergedM2 = m2 + other.m2 + delta * delta * ((double) count * other.count / n);
        long[] hist = histogram.clone();
        for (int i = 0; i < hist.length; i++) hist[i] += other.histogram[i];
        List<TopExample> all = new ArrayList<>(top.size() + other.top.size());
        all.addAll(top);
        all.addAll(other.top);
        all.sort(TopExample::compare);
        float mergedMax = Math.max(max, other.max);
        return new UnitStats(n, mergedMean, mergedM2, mergedMax, positive + other.positive, hist,
                List.copyOf(all.subList(0, Math.min(k, all.size()))));
    }

    /** Positions seen. */
    public long count() { return count; }

    /** Mean activation. */
    public double mean() { return mean; }

    /** Population variance (M2 / count), as numpy's {@code var}. */
    public double variance() { return count == 0 ? Double.NaN : m2 / count; }

    /** Largest activation. */
    public float max() { return max; }

    /** Fraction of positions where the activation is &gt; 0. */
    public double frequency() { return count == 0 ? Double.NaN : (double) positive / count; }

    /** Histogram counts [bins + 2]: underflow, the bins, overflow (a copy). */
    public long[] histogram() { return histogram.clone(); }

    /** The top-activating examples, best first. */
    public List<TopExample> top() { return top; }
}
