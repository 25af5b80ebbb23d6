package dev.loupe.experiments.monosemanticity;

import dev.loupe.tokens.CharTokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Generated training text for {@code loupe reproduce monosemanticity}: prose in a made-up language
 * (lower-case words from a seeded lexicon, Zipf-distributed, sentences with a capital and a full
 * stop) interleaved with segments of the recognisable kinds that {@link ProxyClass} names —
 * arithmetic that is correct ({@code 37+5=42}, {@code 6*7=42}), upper-case words, base64 strings,
 * words in a second alphabet (Greek) and runs of punctuation. Each kind is predictable inside its
 * segment, so a model that learns the text has reason to represent each of them.
 *
 * <p>The language (the three lexicons) is fixed by the seed; {@code part} picks an independent stream
 * of text in it, so training text and held-out text share their words but not their sentences.
 * Deterministic in (seed, part); one token per character ({@link #tokenizer()}).
 */
public final class ProxyCorpus {
    private static final String BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    private static final String GREEK = "αβγδεζηθικλμνξοπρστυφχψω";
    /** Every character the corpus uses. */
    public static final String CHARACTERS = "\n !*+,-./0123456789:;=?ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz~" + GREEK;

    /** Share of segments of each special kind (the rest, 1 − 5·share, is prose). */
    public static final double SPECIAL_SHARE = 0.09;

    private SplittableRandom random;
    private final List<String> prose, upper, greek;

    private ProxyCorpus(long seed, int part) {
        random = new SplittableRandom(seed);
        prose = lexicon(300, "bcdfghklmnprstvz", "aeiou", 1, 3);
        upper = lexicon(40, "BCDFGHKLMNPRSTVZ", "AEIOU", 1, 3);
        greek = lexicon(60, "βγδζθκλμνξπρστφχψ", "αεηιουω", 1, 3);
        for (int i = 0; i < part; i++) random.split();                // an independent stream per part
        random = random.split();
    }

    /** The first {@code chars} characters of part 0 (the training text) of the seeded corpus. */
    public static String generate(long seed, int chars) {
        return generate(seed, 0, chars);
    }

    /** The first {@code chars} characters of part {@code part} of the seeded corpus: same words, other text. */
    public static String generate(long seed, int part, int chars) {
        return new ProxyCorpus(seed, part).text(chars);
    }

    /** One token per character of {@link #CHARACTERS}, in code point order. */
    public static CharTokenizer tokenizer() {
        return CharTokenizer.of(CHARACTERS.codePoints().sorted().mapToObj(Character::toString).toList());
    }

    private String text(int chars) {
        StringBuilder sb = new StringBuilder(chars + 64);
        while (sb.length() < chars) {
            double u = random.nextDouble();
            int kind = u < 1 - 5 * SPECIAL_SHARE ? -1 : (int) ((u - (1 - 5 * SPECIAL_SHARE)) / SPECIAL_SHARE);
            switch (Math.min(kind, 4)) {
                case -1 -> sentence(sb);
                case 0 -> arithmetic(sb);
                case 1 -> words(sb, upper, 1 + random.nextInt(3));
                case 2 -> base64(sb);
                case 3 -> words(sb, greek, 2 + random.nextInt(5));
                default -> punctuation(sb);
            }
            sb.append(random.nextInt(8) == 0 ? '\n' : ' ');
        }
        return sb.substring(0, chars);
    }

    private void sentence(StringBuilder sb) {
        int n = 3 + random.nextInt(8);
        for (int i = 0; i < n; i++) {
            String w = zipf(prose);
            if (i == 0) w = w.substring(0, 1).toUpperCase(Locale.ROOT) + w.substring(1);
            sb.append(w);
            if (i < n - 1) sb.append(random.nextInt(10) == 0 ? ", " : " ");
        }
        sb.append('.');
    }

    private void arithmetic(StringBuilder sb) {
        int a = random.nextInt(100), b = random.nextInt(100);
        if (random.nextBoolean()) sb.append(a).append('+').append(b).append('=').append(a + b);
        else if (random.nextBoolean()) sb.append(a + b).append('-').append(b).append('=').append(a);
        else { a %= 13; b %= 13; sb.append(a).append('*').append(b).append('=').append(a * b); }
    }

    private void words(StringBuilder sb, List<String> lexicon, int n) {
        for (int i = 0; i < n; i++) {
            if (i > 0) sb.append(' ');
            sb.append(zipf(lexicon));
        }
    }

    private void base64(StringBuilder sb) {
        String s;
        do {
            int len = 4 * (4 + random.nextInt(7));
            StringBuilder b = new StringBuilder(len);
            int pad = random.nextInt(3);
            for (int i = 0; i < len - pad; i++) b.append(BASE64.charAt(random.nextInt(64)));
            b.append("=".repeat(pad));
            s = b.toString();
        } while (!ProxyLabels.label(s)[ProxyClass.BASE64.ordinal()][0]);   // the rule holds for every generated string
        sb.append(s);
    }

    private void punctuation(StringBuilder sb) {
        int n = 3 + random.nextInt(6);
        char repeat = ProxyLabels.PUNCTUATION.charAt(random.nextInt(ProxyLabels.PUNCTUATION.length()));
        boolean same = random.nextBoolean();
        for (int i = 0; i < n; i++) {
            sb.append(same ? repeat : ProxyLabels.PUNCTUATION.charAt(random.nextInt(ProxyLabels.PUNCTUATION.length())));
        }
    }

    /** A word of rank k with probability ∝ 1/(k + 2). */
    private String zipf(List<String> words) {
        double total = 0;
        for (int k = 0; k < words.size(); k++) total += 1.0 / (k + 2);
        double u = random.nextDouble() * total;
        for (int k = 0; k < words.size(); k++) {
            u -= 1.0 / (k + 2);
            if (u <= 0) return words.get(k);
        }
        return words.getLast();
    }

    /** {@code n} distinct words of 1–3 consonant-vowel syllables (at least 2 characters). */
    private List<String> lexicon(int n, String consonants, String vowels, int minSyllables, int maxSyllables) {
        List<String> out = new ArrayList<>();
        while (out.size() < n) {
            int syllables = minSyllables + random.nextInt(maxSyllables - minSyllables + 1);
            StringBuilder w = new StringBuilder();
            for (int s = 0; s < syllables; s++) {
                w.appendCodePoint(consonants.codePointAt(consonants.offsetByCodePoints(0, random.nextInt(consonants.codePointCount(0, consonants.length())))));
                w.appendCodePoint(vowels.codePointAt(vowels.offsetByCodePoints(0, random.nextInt(vowels.codePointCount(0, vowels.length())))));
            }
            if (random.nextInt(3) == 0) w.appendCodePoint(consonants.codePointAt(0));
            String word = w.toString();
            if (!out.contains(word)) out.add(word);
        }
        return out;
    }
}
