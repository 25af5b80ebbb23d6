package dev.loupe.tokens;

import java.util.OptionalInt;

/**
 * Text to token ids and back: the first step of the data path (text → tokens → tensors → model).
 *
 * <p>Implementations are immutable and safe to share between threads.
 *
 * <p>{@link #encode} treats its input as ordinary text: a special token's spelling such as
 * {@code <|endoftext|>} inside the text is encoded like any other characters (tiktoken's
 * {@code encode_ordinary}). {@link #encodeAllowingSpecial} turns that spelling into the
 * {@link #endOfText()} id instead.
 */
public interface Tokenizer {

    /** The token ids of {@code text}, treating all of it as ordinary text. */
    int[] encode(String text);

    /**
     * The text of a token sequence. For byte-level tokenizers a sequence that ends inside a UTF-8
     * character decodes the incomplete bytes to U+FFFD, as Hugging Face's {@code errors="replace"}.
     *
     * @throws dev.loupe.LoupeException when an id is outside [0, {@link #vocabSize()})
     */
    String decode(int[] ids);

    /** Number of token ids: every id is in [0, vocabSize). */
    int vocabSize();

    /**
     * The text of one token for display (raw: spaces and newlines as they are; see
     * {@link TokenDisplay#visible} to render them visibly). A byte-level token that is not valid
     * UTF-8 on its own shows its bytes as {@code <0xE2>}-style escapes.
     */
    String tokenText(int id);

    /** The id of the end-of-text token ({@code <|endoftext|>} for GPT-2), when this vocabulary has one. */
    OptionalInt endOfText();

    /**
     * Like {@link #encode}, but every occurrence of the end-of-text token's spelling (GPT-2:
     * {@code <|endoftext|>}) becomes the {@link #endOfText()} id; without an end-of-text token this
     * is {@link #encode}.
     */
    default int[] encodeAllowingSpecial(String text) {
        OptionalInt eot = endOfText();
        if (eot.isEmpty()) return encode(text);
        String marker = tokenText(eot.getAsInt());
        if (marker.isEmpty() || !text.contains(marker)) return encode(text);
        IntList out = new IntList(text.length() / 3 + 4);
        int from = 0;
        while (true) {
            int at = text.indexOf(marker, from);
            int end = at < 0 ? text.length() : at;
            if (end > from) out.addAll(encode(text.substring(from, end)));
            if (at < 0) break;
            out.add(eot.getAsInt());
            from = at + marker.length();
        }
        return out.toArray();
    }
}
