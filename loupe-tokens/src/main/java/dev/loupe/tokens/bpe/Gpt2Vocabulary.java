package dev.loupe.tokens.bpe;

import dev.loupe.LoupeException;

import java.io.IOException;
import java.io.InputStream;
import java.util.Map;

/**
 * GPT-2's vocabulary (50257 tokens: 50000 merges over 256 bytes, plus {@code <|endoftext|>} =
 * 50256) available offline: built from the {@code r50k_base} rank file that the jtokkit jar
 * bundles (the same ids as Hugging Face's {@code gpt2} vocab.json + merges.txt).
 */
public final class Gpt2Vocabulary {
    /** Id of {@code <|endoftext|>}. */
    public static final int END_OF_TEXT = 50256;
    private static final String RESOURCE = "/com/knuddels/jtokkit/r50k_base.tiktoken";
    private static volatile ByteLevelBpe bundled;

    private Gpt2Vocabulary() {}

    /** The GPT-2 tokenizer from the bundled ranks (loaded once, ~0.5 s). */
    public static ByteLevelBpe bundled() {
        ByteLevelBpe b = bundled;
        if (b == null) {
            synchronized (Gpt2Vocabulary.class) {
                if (bundled == null) bundled = load();
                b = bundled;
            }
        }
        return b;
    }

    private static ByteLevelBpe load() {
        try (InputStream in = com.knuddels.jtokkit.Encodings.class.getResourceAsStream(RESOURCE)) {
            if (in == null) throw new LoupeException("the GPT-2 rank file " + RESOURCE + " is missing from the class path (jtokkit jar)");
            return BpeFiles.loadTiktoken(in, "r50k_base.tiktoken", Map.of(BpeFiles.END_OF_TEXT, END_OF_TEXT));
        } catch (IOException e) {
            throw new LoupeException("cannot read the bundled GPT-2 ranks: " + e.getMessage(), e);
        }
    }
}
