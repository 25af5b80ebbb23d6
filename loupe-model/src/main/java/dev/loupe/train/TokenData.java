package dev.loupe.train;

import java.util.Arrays;
import java.util.List;

/**
 * The tokens of a run: the training shards and the validation shards (possibly none).
 *
 * @param train token arrays the loader draws batches from
 * @param val   token arrays for the validation loss; empty when there is nothing to evaluate on
 */
public record TokenData(List<int[]> train, List<int[]> val) {

    /** The fraction of a single token array held out for validation by {@link #split}. */
    public static final double VAL_FRACTION = 0.1;

    public TokenData {
        train = List.copyOf(train);
        val = List.copyOf(val);
        if (train.isEmpty()) throw new IllegalArgumentException("no training tokens");
    }

    /**
     * Splits one token array: the first 90 % train, the last 10 % ({@link #VAL_FRACTION}) validate,
     * as nanoGPT's data preparation scripts do.
     */
    public static TokenData split(int[] tokens) {
        int cut = (int) Math.round(tokens.length * (1 - VAL_FRACTION));
        return new TokenData(List.of(Arrays.copyOfRange(tokens, 0, cut)),
                List.of(Arrays.copyOfRange(tokens, cut, tokens.length)));
    }

    /** Total number of training tokens. */
    public long trainTokens() {
        return train.stream().mapToLong(a -> a.length).sum();
    }

    /** Total number of validation tokens. */
    public long valTokens() {
        return val.stream().mapToLong(a -> a.length).sum();
    }

    /** The largest token id anywhere, or −1 when there are no tokens. */
    public int maxTokenId() {
        int max = -1;
        for (List<int[]> part : List.of(train, val)) {
            for (int[] a : part) for (int t : a) max = Math.max(max, t);
        }
        return max;
    }
}
