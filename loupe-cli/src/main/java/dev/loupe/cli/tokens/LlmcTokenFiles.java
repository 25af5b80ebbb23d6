package dev.loupe.cli.tokens;

import dev.loupe.LoupeException;
import dev.loupe.tokens.TokenFile;

import java.nio.file.Path;

/** Writing {@code tokenize --out}: llm.c's GPT-2 token file, after checking every id fits its uint16. */
final class LlmcTokenFiles {
    private LlmcTokenFiles() {}

    /**
     * Writes {@code ids} as an llm.c token file (magic 20240520, version 1, uint16), atomically.
     *
     * @param vocabSize the tokenizer's vocabulary, named in the message when an id does not fit
     * @throws LoupeException naming the first id ≥ 65,536 and its position; nothing is written then
     */
    static void write(Path file, int[] ids, int vocabSize) {
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] > TokenFile.Format.LLMC.maxId()) {
                throw new LoupeException("token " + i + " is id " + ids[i] + ", which does not fit llm.c's token files: they "
                        + "hold uint16 ids, below 65,536 (this tokenizer has " + vocabSize + " tokens); nothing was written");
            }
        }
        TokenFile.write(file, ids, TokenFile.Format.LLMC);
    }
}
