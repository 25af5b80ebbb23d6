package dev.loupe.cli.model;

import dev.loupe.LoupeException;
import dev.loupe.tokens.Tokenizer;

import java.util.OptionalInt;

/**
 * Text → ids for the analysis commands, with the BOS decision explicit: the ids are the text's
 * tokens, preceded by the end-of-text token (GPT-2's BOS) exactly when {@code prependBos}; the
 * commands print {@link #describe} so the reader always knows which it was.
 */
public record BosText(int[] ids, boolean prependBos, OptionalInt bos) {

    public static BosText encode(Tokenizer tokenizer, String text, boolean prependBos) {
        int[] tokens = tokenizer.encode(text);
        OptionalInt eot = tokenizer.endOfText();
        if (prependBos && eot.isEmpty()) {
            throw new LoupeException("--prepend-bos: this model's tokenizer has no end-of-text token to use as BOS");
        }
        if (!prependBos) {
            if (tokens.length == 0) throw new LoupeException("no tokens: the text is empty");
            return new BosText(tokens, false, eot);
        }
        int[] ids = new int[tokens.length + 1];
        ids[0] = eot.getAsInt();
        System.arraycopy(tokens, 0, ids, 1, tokens.length);
        return new BosText(ids, true, eot);
    }

    /** "BOS: prepended '<|endoftext|>' (id 50256)" or "BOS: none prepended (--prepend-bos adds …)". */
    public String describe(LoadedGpt m) {
        if (prependBos) return "BOS: prepended " + m.show(ids[0]) + " (id " + ids[0] + ") at position 0";
        return bos.isPresent() ? "BOS: none prepended (--prepend-bos adds " + m.show(bos.getAsInt()) + ")"
                : "BOS: none prepended (this tokenizer has no end-of-text token)";
    }
}
