package dev.loupe.tokens.bpe;

/**
 * GPT-2's pre-tokenisation, the split of text into pieces that BPE then encodes one by one, as a
 * hand-written scanner with exactly the semantics of the regular expression
 * <pre>'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+</pre>
 * (first matching alternative wins, each quantifier greedy, Unicode classes as Java's
 * {@code UNICODE_CHARACTER_CLASS}: {@code \p{L}} letters (Lu Ll Lt Lm Lo), {@code \p{N}} numbers
 * (Nd Nl No), {@code \s} the White_Space property). Contractions are case-sensitive ("'S" is not
 * one), combining marks are neither letters nor numbers, and a run of whitespace before a
 * non-space keeps its last character for the next piece ({@code \s+(?!\S)} backtracks one
 * character), so "a   b" splits as "a", "  ", " b".
 *
 * <p>Every match is determined by the text from its start onwards, so any position where a
 * whitespace character follows a non-whitespace one is a piece boundary: {@link #safeSplit} uses
 * that to cut long texts into chunks that encode independently.
 */
public final class Gpt2PreTokenizer {
    static final byte WHITESPACE = 0, LETTER = 1, NUMBER = 2, OTHER = 3;

    private static final byte[] ASCII = new byte[128];

    static {
        for (int c = 0; c < 128; c++) ASCII[c] = classifySlow(c);
    }

    private Gpt2PreTokenizer() {}

    /** The class of code point {@code cp}: WHITESPACE, LETTER, NUMBER or OTHER. */
    static byte classify(int cp) {
        return cp < 128 ? ASCII[cp] : classifySlow(cp);
    }

    private static byte classifySlow(int cp) {
        int type = Character.getType(cp);
        switch (type) {
            case Character.UPPERCASE_LETTER, Character.LOWERCASE_LETTER, Character.TITLECASE_LETTER,
                 Character.MODIFIER_LETTER, Character.OTHER_LETTER -> {
                return LETTER;
            }
            case Character.DECIMAL_DIGIT_NUMBER, Character.LETTER_NUMBER, Character.OTHER_NUMBER -> {
                return NUMBER;
            }
            case Character.SPACE_SEPARATOR, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR -> {
                return WHITESPACE;
            }
            default -> {
                return (cp >= 0x09 && cp <= 0x0D) || cp == 0x85 ? WHITESPACE : OTHER;
            }
        }
    }

    /** Code point at {@code i} of {@code s} (bounded by {@code end}), like {@link Character#codePointAt(char[], int, int)}. */
    private static int cp(char[] s, int i, int end) {
        char c = s[i];
        if (Character.isHighSurrogate(c) && i + 1 < end && Character.isLowSurrogate(s[i + 1])) {
            return Character.toCodePoint(c, s[i + 1]);
        }
        return c;
    }

    /** End (exclusive) of the run of code points of class {@code cls} starting at {@code i}. */
    private static int run(char[] s, int i, int end, byte cls) {
        while (i < end) {
            char c = s[i];
            if (c < 128) {
                if (ASCII[c] != cls) return i;
                i++;
            } else {
                int cp = cp(s, i, end);
                if (classifySlow(cp) != cls) return i;
                i += Character.charCount(cp);
            }
        }
        return i;
    }

    /**
     * The end (exclusive) of the piece that starts at {@code start} in {@code s[start, end)};
     * {@code start < end}. Pieces never extend past {@code end}, as if the text ended there.
     */
    public static int pieceEnd(char[] s, int start, int end) {
        char c = s[start];
        if (c == '\'' && start + 1 < end) {
            char n = s[start + 1];
            if (n == 's' || n == 't' || n == 'm' || n == 'd') return start + 2;
            if (start + 2 < end) {
                char n2 = s[start + 2];
                if ((n == 'r' && n2 == 'e') || (n == 'v' && n2 == 'e') || (n == 'l' && n2 == 'l')) return start + 3;
            }
        }
        if (c == ' ' && start + 1 < end) {
            int next = cp(s, start + 1, end);
            byte cls = classify(next);
            if (cls != WHITESPACE) return run(s, start + 1 + Character.charCount(next), end, cls);
        }
        int first = cp(s, start, end);
        byte cls = classify(first);
        int q = run(s, start + Character.charCount(first), end, cls);
        if (cls != WHITESPACE || q == end) return q;
        // \s+(?!\S): the whitespace run is followed by a non-space; give back its last character
        // (whitespace characters are all in the BMP: one char) unless the run has only one.
        return q - start >= 2 ? q - 1 : q;
    }

    /**
     * A piece boundary at or after {@code from} and at most {@code end}: the first position
     * {@code i > from} where {@code s[i]} is whitespace and {@code s[i-1]} is not, or {@code end}.
     */
    public static int safeSplit(char[] s, int from, int end) {
        for (int i = Math.max(from, 1); i < end; i++) {
            char c = s[i];
            if ((c < 128 ? ASCII[c] : classifySlow(c)) == WHITESPACE) {
                char p = s[i - 1];
                int pc = Character.isLowSurrogate(p) ? OTHER : (p < 128 ? ASCII[p] : classifySlow(p));
                if (pc != WHITESPACE) return i;
            }
        }
        return end;
    }
}
