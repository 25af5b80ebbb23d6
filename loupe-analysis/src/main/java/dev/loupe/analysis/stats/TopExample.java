package dev.loupe.analysis.stats;

import java.io.Serializable;

/**
 * One of a unit's top-activating positions, with the token window around it.
 *
 * @param position     token index of the position in the input (across shards, in order)
 * @param value        the unit's activation there
 * @param contextStart token index of {@code tokens[0]}
 * @param tokens       token ids of the context window (clipped to the sequence the position was run in)
 * @param values       the unit's activation at each context token, same length as {@code tokens}
 */
public record TopExample(long position, float value, long contextStart, int[] tokens, float[] values) implements Serializable {
    /** Larger value first; ties by earlier position: a total order, so top-k is the same however merged. */
    public static int compare(TopExample a, TopExample b) {
        int c = Float.compare(b.value, a.value);
        return c != 0 ? c : Long.compare(a.position, b.position);
    }
}
