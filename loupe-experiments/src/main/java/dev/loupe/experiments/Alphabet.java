package dev.loupe.experiments;

import dev.loupe.tokens.CharTokenizer;

import java.util.stream.IntStream;

/** Token alphabets for generated corpora: one letter per token id. */
public final class Alphabet {
    private static final String LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";   // sorted by code point, as CharTokenizer requires

    private Alphabet() {}

    /** A token alphabet of {@code n} letters (capitals first), as a character tokenizer. */
    public static CharTokenizer letters(int n) {
        if (n > LETTERS.length()) throw new IllegalArgumentException("alphabet of at most " + LETTERS.length());
        return CharTokenizer.of(IntStream.range(0, n).mapToObj(i -> String.valueOf(LETTERS.charAt(i))).toList());
    }
}
