package dev.loupe.experiments.moe;

import dev.loupe.tokens.CharTokenizer;

import java.util.List;
import java.util.SplittableRandom;

/**
 * The corpus of {@code loupe reproduce moe-specialisation}: segments from four distinguishable
 * sources, each token labelled with its source — English sentences (real words, a small grammar),
 * correct arithmetic lines ({@code 37+45=82}), C-like code statements ({@code if (x < 7) { y = f(x); }})
 * and words in a second alphabet (Greek letters). A segment is 60–200 characters of one source;
 * sources are drawn uniformly. One token per character ({@link #tokenizer()}); deterministic in
 * (seed, part): part 0 trains, part 1 is held out.
 */
public final class MixedSources {
    /** The source names, in label order. */
    public static final List<String> SOURCES = List.of("english", "arithmetic", "code", "greek");
    private static final String GREEK = "αβγδεζηθικλμνξοπρστυφχψω";
    /** Every character the corpus uses. */
    public static final String CHARACTERS = "\n (),+-.;<=[]abcdefghijklmnopqrstuvwxyz{}0123456789" + GREEK;

    private static final List<String> DETERMINERS = List.of("the", "a", "this", "every", "no", "one");
    private static final List<String> ADJECTIVES = List.of("old", "red", "small", "quiet", "bright", "cold", "green", "strange", "happy", "dark");
    private static final List<String> NOUNS = List.of("man", "house", "river", "dog", "king", "garden", "ship", "child", "window", "road",
            "city", "horse", "letter", "tree", "woman", "night");
    private static final List<String> VERBS = List.of("saw", "found", "left", "loved", "built", "watched", "followed", "carried", "heard", "kept");
    private static final List<String> PREPOSITIONS = List.of("near", "under", "behind", "across", "beside", "over");
    private static final String IDENTIFIERS = "abfgijnsxyz";

    /**
     * Text with one source label per character.
     *
     * @param text    the characters
     * @param sources [text.length()]: the index in {@link #SOURCES} of each character's source
     */
    public record Labelled(String text, byte[] sources) {}

    private final SplittableRandom random;
    private final List<String> greekWords;

    private MixedSources(long seed, int part) {
        SplittableRandom r = new SplittableRandom(seed);
        greekWords = lexicon(r, 40);
        for (int i = 0; i < part; i++) r.split();
        random = r.split();
    }

    /** The first {@code chars} characters of part {@code part} of the seeded corpus, labelled. */
    public static Labelled generate(long seed, int part, int chars) {
        return new MixedSources(seed, part).text(chars);
    }

    /** One token per character of {@link #CHARACTERS}, in code point order. */
    public static CharTokenizer tokenizer() {
        return CharTokenizer.of(CHARACTERS.codePoints().sorted().mapToObj(Character::toString).toList());
    }

    private Labelled text(int chars) {
        StringBuilder sb = new StringBuilder(chars + 256);
        byte[] labels = new byte[chars + 256];
        while (sb.length() < chars) {
            int source = random.nextInt(SOURCES.size()), start = sb.length(), length = 60 + random.nextInt(141);
            while (sb.length() - start < length) {
                switch (source) {
                    case 0 -> sentence(sb);
                    case 1 -> arithmetic(sb);
                    case 2 -> statement(sb);
                    default -> greek(sb);
                }
            }
            sb.append('\n');
            if (sb.length() > labels.length) labels = java.util.Arrays.copyOf(labels, 2 * sb.length());
            java.util.Arrays.fill(labels, start, sb.length(), (byte) source);
        }
        return new Labelled(sb.substring(0, chars), java.util.Arrays.copyOf(labels, chars));
    }

    private String pick(List<String> words) {
        return words.get(random.nextInt(words.size()));
    }

    private void sentence(StringBuilder sb) {
        sb.append(pick(DETERMINERS)).append(' ');
        if (random.nextBoolean()) sb.append(pick(ADJECTIVES)).append(' ');
        sb.append(pick(NOUNS)).append(' ').append(pick(VERBS)).append(' ').append(pick(DETERMINERS)).append(' ').append(pick(NOUNS));
        if (random.nextInt(3) == 0) sb.append(' ').append(pick(PREPOSITIONS)).append(" the ").append(pick(NOUNS));
        sb.append(random.nextInt(4) == 0 ? ", " : ". ");
    }

    private void arithmetic(StringBuilder sb) {
        int a = random.nextInt(100), b = random.nextInt(100);
        if (random.nextBoolean()) sb.append(a).append('+').append(b).append('=').append(a + b);
        else sb.append(a + b).append('-').append(b).append('=').append(a);
        sb.append(' ');
    }

    private char id() {
        return IDENTIFIERS.charAt(random.nextInt(IDENTIFIERS.length()));
    }

    private void statement(StringBuilder sb) {
        char x = id(), y = id();
        int d = random.nextInt(10);
        switch (random.nextInt(4)) {
            case 0 -> sb.append(x).append(" = ").append(y).append(" + ").append(d).append(';');
            case 1 -> sb.append("if (").append(x).append(" < ").append(d).append(") { ").append(y).append(" = f(").append(x).append("); }");
            case 2 -> sb.append("for (i = 0; i < ").append(d).append("; i++) { s += ").append(x).append("[i]; }");
            default -> sb.append("return g(").append(x).append(", ").append(y).append(");");
        }
        sb.append(' ');
    }

    private void greek(StringBuilder sb) {
        int n = 2 + random.nextInt(5);
        for (int i = 0; i < n; i++) sb.append(greekWords.get(random.nextInt(greekWords.size()))).append(i == n - 1 ? ". " : " ");
    }

    /** {@code n} words of 2–5 Greek letters. */
    private static List<String> lexicon(SplittableRandom r, int n) {
        List<String> out = new java.util.ArrayList<>();
        while (out.size() < n) {
            int len = 2 + r.nextInt(4);
            StringBuilder w = new StringBuilder();
            for (int i = 0; i < len; i++) w.append(GREEK.charAt(r.nextInt(GREEK.length())));
            if (!out.contains(w.toString())) out.add(w.toString());
        }
        return out;
    }
}
