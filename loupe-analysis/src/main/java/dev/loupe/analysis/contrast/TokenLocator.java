package dev.loupe.analysis.contrast;

import dev.loupe.LoupeException;
import dev.loupe.tokens.CharTokenizer;
import dev.loupe.tokens.TokenDisplay;
import dev.loupe.tokens.Tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Finds a word inside a context as the model sees it: as token ids. The word is encoded on its own
 * and, unless it starts with whitespace or the tokenizer is character-level, also with a leading space (GPT-2's BPE spells a word in the
 * middle of a sentence " apple", a different token from "apple" at the start). The last occurrence in
 * the context is used; a word of several tokens is represented by its last token (the position where
 * the whole word has been read), and {@link Located#note()} says so.
 */
public final class TokenLocator {
    private TokenLocator() {}

    /**
     * @param ids         the context's token ids
     * @param position    the index in {@code ids} of the word's (last) token
     * @param wordTokens  the word's token ids as found
     * @param note        an explanation when the word spans several tokens, else empty
     */
    public record Located(int[] ids, int position, int[] wordTokens, String note) {}

    /** Locates {@code word} in {@code context} ({@code name} says which context, for messages). */
    public static Located find(Tokenizer tok, String word, String context, String name) {
        if (word.isEmpty()) throw new LoupeException("--token is empty");
        int[] ids = tok.encode(context);
        List<int[]> spellings = new ArrayList<>();
        spellings.add(tok.encode(word));
        // A character-level model spells a word the same anywhere: no GPT-2 leading-space variant (whose
        // space may not even be in its vocabulary).
        if (!(tok instanceof CharTokenizer) && !Character.isWhitespace(word.charAt(0))) {
            int[] spaced = tok.encodeAllowingSpecial(" " + word);
            if (!Arrays.equals(spaced, spellings.get(0)) && spaced.length > 0) spellings.add(spaced);
        }
        for (int[] w : spellings) {
            if (w.length == 0) continue;
            int at = lastIndexOf(ids, w);
            if (at >= 0) {
                int pos = at + w.length - 1;
                String note = w.length == 1 ? "" : "'" + word + "' is " + w.length + " tokens (" + show(tok, w)
                        + "): using the last, '" + TokenDisplay.visible(tok.tokenText(w[w.length - 1])) + "'";
                return new Located(ids, pos, w, note);
            }
        }
        String tried = spellings.stream().map(w -> "[" + show(tok, w) + "]").collect(Collectors.joining(" or "));
        throw new LoupeException(name + " \"" + context + "\" does not contain '" + word + "' (as tokens " + tried
                + "); its tokens are: " + show(tok, ids));
    }

    /** "a | ·dog | ·sat". */
    public static String show(Tokenizer tok, int[] ids) {
        return Arrays.stream(ids).mapToObj(i -> TokenDisplay.visible(tok.tokenText(i))).collect(Collectors.joining(" | "));
    }

    private static int lastIndexOf(int[] ids, int[] w) {
        outer:
        for (int i = ids.length - w.length; i >= 0; i--) {
            for (int k = 0; k < w.length; k++) if (ids[i + k] != w[k]) continue outer;
            return i;
        }
        return -1;
    }
}
