package dev.loupe.cli.trace;

import dev.loupe.model.Gpt;
import dev.loupe.model.WeightFormat;
import dev.loupe.model.io.ModelDirectory;
import dev.loupe.tokens.TokenDisplay;
import dev.loupe.tokens.Tokenizer;
import dev.loupe.tokens.Tokenizers;

import java.nio.file.Path;

/** A model directory opened for trace and contrast: the network and its tokenizer (both required). */
record OpenedModel(Gpt gpt, Tokenizer tokenizer, Path dir) {

    static OpenedModel open(Path dir, boolean allowNonFinite) {
        return open(dir, allowNonFinite, WeightFormat.F32);
    }

    /** The model with its weight matrices in {@code format} (bfloat16: read as such, {@link ModelDirectory#readBf16}). */
    static OpenedModel open(Path dir, boolean allowNonFinite, WeightFormat format) {
        return new OpenedModel(ModelDirectory.readModel(dir, allowNonFinite, format), Tokenizers.require(dir), dir);
    }

    /** A token's text with spaces and newlines made visible (' the' shows as '·the'). */
    String show(int id) {
        return TokenDisplay.visible(tokenizer.tokenText(id));
    }
}
