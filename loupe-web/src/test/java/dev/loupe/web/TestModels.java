package dev.loupe.web;

import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.model.io.ModelDirectory;
import dev.loupe.tokens.CharTokenizer;
import dev.loupe.tokens.Tokenizers;

import java.nio.file.Path;

/** Random-weight model directories with a character tokenizer, for the explorer's tests. */
final class TestModels {
    private TestModels() {}

    static final String ALPHABET = "abcdefghijklmnopqrstuvwxyz .,\n";

    /** A small random GPT-2-style model (vocabulary = the alphabet) saved to {@code dir}. */
    static Path small(Path dir, int context, int layers, int heads) {
        CharTokenizer tok = CharTokenizer.fromCorpus(ALPHABET);
        return write(dir, GptConfig.gpt2(tok.vocabSize(), context, 32, layers, heads), tok);
    }

    /** As {@link #small}, with another attention kind (linear or least squares). */
    static Path small(Path dir, int context, int layers, int heads, dev.loupe.model.AttentionKind kind) {
        CharTokenizer tok = CharTokenizer.fromCorpus(ALPHABET);
        return write(dir, GptConfig.gpt2(tok.vocabSize(), context, 32, layers, heads).withAttention(kind), tok);
    }

    /** GPT-2 small's shape (50257 × 1024 × 768, 12 layers × 12 heads), random weights, character tokenizer. */
    static Path gpt2Small(Path dir) {
        return write(dir, GptConfig.gpt2(50257, 1024, 768, 12, 12), CharTokenizer.fromCorpus(ALPHABET));
    }

    static Path write(Path dir, GptConfig config, CharTokenizer tok) {
        Gpt gpt = Gpt.create(config, 1);
        ModelDirectory.write(dir, config, gpt.parameters());
        Tokenizers.save(tok, dir);
        return dir;
    }
}
