package dev.loupe.cli.trace;

import dev.loupe.LoupeException;
import dev.loupe.tokens.Tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The prompt {@code trace --model DIR} uses when none is given: the start of the training sample
 * Loupe keeps beside the models it trains ({@link dev.loupe.model.io.SamplePrompt}); else "the cat sat" if the model's
 * tokenizer can encode it; otherwise a few of the model's own vocabulary entries (letters first),
 * so a character-level model trained on any text can be traced without guessing its alphabet.
 */
final class DefaultPrompt {
    private DefaultPrompt() {}

    static final String TEXT = "the cat sat";

    /** Tokens taken at most from the training sample: a trace prints matrices with a row per token. */
    static final int SAMPLE_TOKENS = 16;

    /**
     * The first words of {@code sample} within {@link #SAMPLE_TOKENS} tokens and {@code context} (cut
     * at the last whitespace of the second half, when there is one), or empty when there is no sample
     * or {@code tok} cannot encode it.
     */
    static Optional<String> fromSample(Optional<String> sample, Tokenizer tok, int context) {
        if (sample.isEmpty()) return Optional.empty();
        int[] ids;
        try {
            ids = tok.encode(sample.get());
        } catch (LoupeException e) {
            return Optional.empty();   // a character the vocabulary lacks (a sample edited by hand)
        }
        int n = Math.min(Math.min(SAMPLE_TOKENS, context), ids.length);
        if (n == 0) return Optional.empty();
        String text = tok.decode(Arrays.copyOf(ids, n));
        if (n < ids.length) {
            int space = text.length() - 1;
            while (space >= 0 && !Character.isWhitespace(text.charAt(space))) space--;
            if (space > text.length() / 2) text = text.substring(0, space);
        }
        int len = tok.encode(text).length;
        return len > 0 && len <= context ? Optional.of(text) : Optional.empty();
    }

    /** Tokens a default prompt holds at most. */
    private static final int MAX_TOKENS = 8;

    /** "the cat sat" when {@code tok} encodes it within {@code context} tokens, else vocabulary entries. */
    static String forModel(Tokenizer tok, int context) {
        try {
            int[] ids = tok.encode(TEXT);
            if (ids.length > 0 && ids.length <= context) return TEXT;
        } catch (LoupeException e) {
            // a character the vocabulary lacks: fall through to the model's own entries
        }
        int n = Math.min(MAX_TOKENS, Math.min(context, tok.vocabSize()));
        List<Integer> letters = new ArrayList<>(), others = new ArrayList<>();
        for (int id = 0; id < tok.vocabSize() && letters.size() < n; id++) {
            String s = tok.tokenText(id);
            if (!s.isEmpty() && s.chars().allMatch(Character::isLetter)) letters.add(id);
            else if (others.size() < n && !s.isBlank()) others.add(id);
        }
        letters.addAll(others);
        int[] ids = letters.stream().limit(n).mapToInt(Integer::intValue).toArray();
        String text = tok.decode(ids);
        if (tok.encode(text).length == 0) throw new LoupeException("the model's vocabulary gives no default prompt: pass --prompt");
        return text;
    }
}
