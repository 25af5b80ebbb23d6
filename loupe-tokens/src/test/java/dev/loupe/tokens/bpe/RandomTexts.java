package dev.loupe.tokens.bpe;

import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * Building blocks for random tokenizer inputs, with the shapes of the property-testing generators
 * these tests were first written with: short inputs dominate but long ones occur, small code
 * points are favoured but every plane is reached, and range ends (edge cases) come up now and then.
 */
final class RandomTexts {
    /** One draw in this many is an edge case (a range end, an empty or one-piece text) instead of a plain random value. */
    static final int EDGE_ODDS = 25;

    private RandomTexts() {}

    /**
     * Concatenates a random number of pieces, at most {@code maxPieces}: uniformly up to {@code cutoff}
     * most of the time, 10% of the time above it, 2% exactly {@code maxPieces} (cutoff &ge; max: uniform).
     * One text in {@link #EDGE_ODDS} is the empty text or a single edge piece instead.
     */
    static String concat(SplittableRandom r, int maxPieces, int cutoff, String[] edgePieces, Function<SplittableRandom, String> piece) {
        if (r.nextInt(EDGE_ODDS) == 0) {
            int k = r.nextInt(edgePieces.length + 1);
            return k == edgePieces.length ? "" : edgePieces[k];
        }
        int n;
        if (cutoff >= maxPieces) n = r.nextInt(maxPieces + 1);
        else {
            double u = r.nextDouble();
            n = u < 0.02 ? maxPieces : u < 0.12 ? r.nextInt(cutoff + 1, maxPieces + 1) : r.nextInt(cutoff + 1);
        }
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < n; i++) s.append(piece.apply(r));
        return s.toString();
    }

    /** A char in [min, max]: uniform, or one of the two ends once in {@link #EDGE_ODDS}. */
    static char charIn(SplittableRandom r, char min, char max) {
        if (r.nextInt(EDGE_ODDS) == 0) return r.nextBoolean() ? min : max;
        return (char) r.nextInt(min, max + 1);
    }

    /** A string of 0..maxLength chars (length uniform), each from {@link #charIn}. */
    static String stringIn(SplittableRandom r, char min, char max, int maxLength) {
        char[] cs = new char[r.nextInt(maxLength + 1)];
        for (int i = 0; i < cs.length; i++) cs[i] = charIn(r, min, max);
        return new String(cs);
    }

    /**
     * A code point (not a surrogate) biased to small values: magnitude bands split at 9·3^k
     * ([0, 8], [9, 26], [27, 80], ... , [177147, U+10FFFF]) are chosen uniformly, then a value uniformly
     * inside, so ASCII, Latin, the rest of the BMP and the astral planes all come up often.
     * Once in {@link #EDGE_ODDS}: 0, 1, U+10FFFE or U+10FFFF.
     */
    static int codePoint(SplittableRandom r) {
        if (r.nextInt(EDGE_ODDS) == 0) return new int[]{0, 1, 0x10FFFE, 0x10FFFF}[r.nextInt(4)];
        while (true) {
            int band = r.nextInt(BAND_STARTS.length);
            int end = band + 1 < BAND_STARTS.length ? BAND_STARTS[band + 1] : Character.MAX_CODE_POINT + 1;
            int cp = r.nextInt(BAND_STARTS[band], end);
            if (cp < Character.MIN_SURROGATE || cp > Character.MAX_SURROGATE) return cp;
        }
    }

    /** 0, then 9·3^k while the band above it still fits below U+10FFFF: 11 bands. */
    private static final int[] BAND_STARTS = java.util.stream.IntStream.concat(java.util.stream.IntStream.of(0),
            java.util.stream.IntStream.iterate(9, p -> 3L * p <= Character.MAX_CODE_POINT, p -> 3 * p)).toArray();

    @SafeVarargs
    static <T> T oneOf(SplittableRandom r, T... choices) {
        return choices[r.nextInt(choices.length)];
    }
}
