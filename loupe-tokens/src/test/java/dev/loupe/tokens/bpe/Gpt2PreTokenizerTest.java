package dev.loupe.tokens.bpe;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** The hand-written scanner splits exactly like GPT-2's regular expression (Java, UNICODE_CHARACTER_CLASS). */
class Gpt2PreTokenizerTest {
    private static final Pattern GPT2 = Pattern.compile(
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+", Pattern.UNICODE_CHARACTER_CLASS);

    private static List<String> regex(String s) {
        List<String> out = new ArrayList<>();
        Matcher m = GPT2.matcher(s);
        while (m.find()) out.add(m.group());
        return out;
    }

    private static List<String> scanner(String s) {
        char[] cs = s.toCharArray();
        List<String> out = new ArrayList<>();
        for (int p = 0; p < cs.length; ) {
            int q = Gpt2PreTokenizer.pieceEnd(cs, p, cs.length);
            assertThat(q).isGreaterThan(p);
            out.add(s.substring(p, q));
            p = q;
        }
        return out;
    }

    @Test
    void whitespaceBacktracking() {
        assertThat(scanner("a   b")).containsExactly("a", "  ", " b");
        assertThat(scanner("a\n\nb")).containsExactly("a", "\n", "\nb".substring(0, 1), "b");
        assertThat(scanner("x  ")).containsExactly("x", "  ");
        assertThat(scanner("I'm  'S")).containsExactly("I", "'m", " ", " '", "S");
    }

    @Test
    void classesMatchJavaRegexForEveryCodePoint() {
        Pattern l = Pattern.compile("\\p{L}", Pattern.UNICODE_CHARACTER_CLASS);
        Pattern n = Pattern.compile("\\p{N}", Pattern.UNICODE_CHARACTER_CLASS);
        Pattern s = Pattern.compile("\\s", Pattern.UNICODE_CHARACTER_CLASS);
        for (int cp = 0; cp <= 0x10FFFF; cp++) {
            String c = Character.toString(cp);
            byte expected = s.matcher(c).matches() ? Gpt2PreTokenizer.WHITESPACE
                    : l.matcher(c).matches() ? Gpt2PreTokenizer.LETTER
                    : n.matcher(c).matches() ? Gpt2PreTokenizer.NUMBER : Gpt2PreTokenizer.OTHER;
            if (Gpt2PreTokenizer.classify(cp) != expected) {
                throw new AssertionError(String.format("U+%04X: scanner class %d, regex class %d", cp, Gpt2PreTokenizer.classify(cp), expected));
            }
        }
    }

    @Test
    void splitsLikeTheRegex() {
        SeededCases.forEach("splitsLikeTheRegex", 2000, r -> text(r, 30), text -> assertThat(scanner(text)).isEqualTo(regex(text)));
    }

    @Test
    void safeSplitPointsAreBoundaries() {
        SeededCases.forEach("safeSplitPointsAreBoundaries", 500, r -> text(r, 22), text -> {
            char[] cs = text.toCharArray();
            List<Integer> bounds = new ArrayList<>();
            for (int p = 0; p < cs.length; ) bounds.add(p = Gpt2PreTokenizer.pieceEnd(cs, p, cs.length));
            for (int from = 0; from < cs.length; from++) {
                int cut = Gpt2PreTokenizer.safeSplit(cs, from, cs.length);
                if (cut < cs.length) assertThat(bounds).as("safeSplit from %d", from).contains(cut);
            }
        });
    }

    private static final String[] TRICKY_PIECES = {" ", "  ", "\n", "\t", "\r\n", "\u00a0", "\u2028", "\u0085", "'", "'s", "'t", "'re",
            "'ve", "'m", "'ll", "'d", "'S", "'R", "a", "Z", "é", "e\u0301", "1", "٣", "½", "Ⅻ", ".", "!", "$", "🙂", "𝔘", "\uD800",
            "\uDC00", "\u0000", "\u200b"};
    private static final String[] EDGE_PIECES = {" ", "\u200b", "\u0000", "\u3000"};

    /**
     * Up to 30 pieces (uniformly up to {@code cutoff}, rarely more), each equally likely a tricky piece
     * (contractions, every whitespace kind, letters, numbers, lone surrogates) or 0-3 chars below U+3000.
     */
    static String text(SplittableRandom r, int cutoff) {
        return RandomTexts.concat(r, 30, cutoff, EDGE_PIECES, p -> p.nextBoolean()
                ? RandomTexts.oneOf(p, TRICKY_PIECES)
                : RandomTexts.stringIn(p, '\u0000', '\u3000', 3));
    }
}
