package dev.loupe.web;

import dev.loupe.LoupeException;
import dev.loupe.model.io.SamplePrompt;
import dev.loupe.tokens.CharTokenizer;
import dev.loupe.tokens.TokenDisplay;
import dev.loupe.tokens.Tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;

/**
 * What the explorer shows before the user types anything: a prompt the model can read whose
 * attention patterns show something, and the list of tokens the model accepts.
 *
 * <p>For a model Loupe trained, the prompt is the sample of its training text kept beside it
 * ({@link SamplePrompt}: the window in which a span recurs longest). Otherwise it is a span of the
 * model's own vocabulary entries in a fixed shuffled order, said twice: the second copy is where
 * previous-token and induction heads light up (the repeated-span probe of Olsson et al. 2022), and
 * every character is one the model knows, whatever its tokenizer.
 */
final class DefaultPrompt {
    private DefaultPrompt() {}

    /** A default prompt and where it comes from ("training text" or "vocabulary"). */
    record Choice(String text, String source) {}

    /**
     * The model's training sample when it has one that encodes to 1..{@code maxTokens} tokens,
     * else {@link #of(Tokenizer, int)}.
     */
    static Choice forModel(ExplorerModel model, int maxTokens) {
        Optional<String> sample = model.trainingSample();
        if (sample.isPresent()) {
            try {
                int n = model.tokenizer().encode(sample.get()).length;
                if (n > 0 && n <= maxTokens) return new Choice(sample.get(), "training text");
            } catch (LoupeException e) {
                // the sample holds a character the tokenizer lacks (edited by hand): the vocabulary's prompt instead
            }
        }
        return new Choice(of(model.tokenizer(), maxTokens), "vocabulary");
    }

    /** At most this many tokens in the repeated span. */
    static final int MAX_SPAN = 12;

    /**
     * A span of up to {@link #MAX_SPAN} distinct printable vocabulary entries, written twice;
     * its length in tokens is at most {@code maxTokens} (at least 2 tokens per copy when possible).
     */
    static String of(Tokenizer tok, int maxTokens) {
        List<Integer> ids = printable(tok, 256);
        java.util.Collections.shuffle(ids, new Random(19));
        int span = Math.max(1, Math.min(MAX_SPAN, Math.min(ids.size(), maxTokens / 2)));
        StringBuilder one = new StringBuilder();
        for (int i = 0; i < span; i++) one.append(tok.tokenText(ids.get(i)));
        return one.toString().repeat(2);
    }

    /**
     * The tokens the model accepts, for the page's "accepts" line: every entry of a character
     * vocabulary (made visible: · ↵ →), or a sentence for a subword vocabulary (any text encodes).
     */
    static String accepts(Tokenizer tok) {
        if (!(tok instanceof CharTokenizer)) return "any text (" + tok.vocabSize() + " subword tokens; unknown words split into smaller pieces)";
        StringBuilder s = new StringBuilder();
        for (int id = 0; id < tok.vocabSize(); id++) s.append(TokenDisplay.visible(tok.tokenText(id)));
        return "only these " + tok.vocabSize() + " characters: " + s;
    }

    /** The first {@code limit} ids whose text is non-empty, printable and encodes back to that one id. */
    private static List<Integer> printable(Tokenizer tok, int limit) {
        List<Integer> ids = new ArrayList<>();
        for (int id = 0; id < tok.vocabSize() && ids.size() < limit; id++) {
            String t = tok.tokenText(id);
            if (t.isEmpty() || t.chars().anyMatch(c -> Character.isISOControl(c) || c == '\uFFFD')) continue;
            int[] back = tok.encode(t);
            if (back.length == 1 && back[0] == id) ids.add(id);
        }
        return ids;
    }
}
