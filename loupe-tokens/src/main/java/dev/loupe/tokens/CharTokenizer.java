package dev.loupe.tokens;

import dev.loupe.LoupeException;

import java.util.Arrays;
import java.util.List;
import java.util.OptionalInt;

/**
 * Character-level tokenizer (nanoGPT's shakespeare_char): the vocabulary is the sorted set of
 * distinct characters (Unicode code points, in code point order, as Python's {@code sorted(set(text))})
 * of a corpus, and token id = index of the character in that list. No end-of-text token.
 *
 * <p>Saved beside a model as Loupe's {@code tokenizer.json}: {@code {"type":"char","chars":["\n"," ",...]}}
 * (see {@link Tokenizers#save}).
 */
public final class CharTokenizer implements Tokenizer {
    private final int[] codePoints; // sorted ascending, distinct

    private CharTokenizer(int[] sortedDistinct) {
        this.codePoints = sortedDistinct;
    }

    /** The vocabulary of {@code corpus}: its distinct code points, sorted. */
    public static CharTokenizer fromCorpus(String corpus) {
        return new CharTokenizer(corpus.codePoints().distinct().sorted().toArray());
    }

    /**
     * A tokenizer with exactly these characters, in this order (each entry one code point).
     *
     * @throws LoupeException when an entry is not exactly one character, a character repeats, or the list is not sorted
     */
    public static CharTokenizer of(List<String> chars) {
        int[] cps = new int[chars.size()];
        for (int i = 0; i < cps.length; i++) {
            String s = chars.get(i);
            if (s == null || s.codePointCount(0, s.length()) != 1) {
                throw new LoupeException("character vocabulary entry " + i + " must be exactly one character, got "
                        + (s == null ? "null" : "\"" + TokenDisplay.visible(s) + "\""));
            }
            cps[i] = s.codePointAt(0);
            if (i > 0 && cps[i] <= cps[i - 1]) {
                throw new LoupeException("character vocabulary entry " + i + " (" + describe(cps[i])
                        + ") is a repeat or out of order: entries must be distinct and sorted by code point");
            }
        }
        return new CharTokenizer(cps);
    }

    /** The characters of the vocabulary, in id order. */
    public List<String> chars() {
        return Arrays.stream(codePoints).mapToObj(Character::toString).toList();
    }

    /**
     * @throws LoupeException naming the first character that is not in the vocabulary and its position (UTF-16 index)
     */
    @Override
    public int[] encode(String text) {
        int[] out = new int[text.codePointCount(0, text.length())];
        int n = 0;
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            int id = Arrays.binarySearch(codePoints, cp);
            if (id < 0) {
                throw new LoupeException("character " + describe(cp) + " at position " + i
                        + " is not in the character vocabulary (" + codePoints.length + " characters)");
            }
            out[n++] = id;
            i += Character.charCount(cp);
        }
        return out;
    }

    @Override
    public String decode(int[] ids) {
        StringBuilder sb = new StringBuilder(ids.length);
        for (int id : ids) sb.appendCodePoint(codePoints[check(id)]);
        return sb.toString();
    }

    @Override
    public int vocabSize() {
        return codePoints.length;
    }

    @Override
    public String tokenText(int id) {
        return Character.toString(codePoints[check(id)]);
    }

    @Override
    public OptionalInt endOfText() {
        return OptionalInt.empty();
    }

    private int check(int id) {
        if (id < 0 || id >= codePoints.length) {
            throw new LoupeException("token id " + id + " is outside the character vocabulary [0, " + codePoints.length + ")");
        }
        return id;
    }

    /** 'a' (U+0061), with invisible characters made visible. */
    static String describe(int cp) {
        return "'" + TokenDisplay.visible(Character.toString(cp)) + "' (U+" + String.format("%04X", cp) + ")";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CharTokenizer c && Arrays.equals(codePoints, c.codePoints);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(codePoints);
    }

    @Override
    public String toString() {
        return "CharTokenizer(" + codePoints.length + " characters)";
    }
}
