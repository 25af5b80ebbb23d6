package dev.loupe.experiments.monosemanticity;

/**
 * Labels every character of a text with the {@link ProxyClass}es whose rule it satisfies. The rules
 * read the text only (words are maximal runs of non-whitespace characters), so they apply to any
 * text, generated or not; a character may satisfy none (ordinary prose) or, in principle, several.
 */
public final class ProxyLabels {
    static final String PUNCTUATION = "!?.,;:~";
    private static final String BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";

    private ProxyLabels() {}

    /**
     * [class ordinal][code point index] whether that character of {@code text} belongs to the class
     * (one entry per code point, as a character tokenizer has one token per code point).
     */
    public static boolean[][] label(String text) {
        int[] cp = text.codePoints().toArray();
        int n = cp.length;
        boolean[][] out = new boolean[ProxyClass.values().length][n];
        int i = 0;
        while (i < n) {                                        // words
            if (Character.isWhitespace(cp[i])) { i++; continue; }
            int j = i;
            while (j < n && !Character.isWhitespace(cp[j])) j++;
            boolean arithmetic = isArithmetic(cp, i, j), upper = isUpperWord(cp, i, j), base64 = isBase64(cp, i, j);
            for (int k = i; k < j; k++) {
                out[ProxyClass.ARITHMETIC.ordinal()][k] = arithmetic;
                out[ProxyClass.UPPER_CASE.ordinal()][k] = upper;
                out[ProxyClass.BASE64.ordinal()][k] = base64;
            }
            i = j;
        }
        for (int k = 0; k < n; k++) out[ProxyClass.GREEK.ordinal()][k] = cp[k] >= 'α' && cp[k] <= 'ω';
        i = 0;
        while (i < n) {                                        // punctuation runs
            if (PUNCTUATION.indexOf(cp[i]) < 0) { i++; continue; }
            int j = i;
            while (j < n && PUNCTUATION.indexOf(cp[j]) >= 0) j++;
            if (j - i >= 3) for (int k = i; k < j; k++) out[ProxyClass.PUNCTUATION_RUN.ordinal()][k] = true;
            i = j;
        }
        return out;
    }

    private static boolean isArithmetic(int[] cp, int from, int to) {
        boolean digit = false;
        for (int k = from; k < to; k++) {
            if (cp[k] >= '0' && cp[k] <= '9') digit = true;
            else if ("+-*=".indexOf(cp[k]) < 0) return false;
        }
        return digit;
    }

    private static boolean isUpperWord(int[] cp, int from, int to) {
        if (to - from < 2) return false;
        for (int k = from; k < to; k++) if (cp[k] < 'A' || cp[k] > 'Z') return false;
        return true;
    }

    private static boolean isBase64(int[] cp, int from, int to) {
        if (to - from < 16) return false;
        boolean upper = false, lower = false, other = false;
        for (int k = from; k < to; k++) {
            int c = cp[k];
            if (BASE64.indexOf(c) < 0) return false;
            if (c >= 'A' && c <= 'Z') upper = true;
            else if (c >= 'a' && c <= 'z') lower = true;
            else if (c != '=') other = true;
        }
        return upper && lower && other;
    }
}
