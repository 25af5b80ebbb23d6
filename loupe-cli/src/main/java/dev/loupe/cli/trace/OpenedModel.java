package dev.loupe.cli.trace;

import dev.loupe.model.Gpt;
import dev.loupe.model.io.ModelDirectory;
import dev.loupe.tokens.TokenDisplay;
import dev.loupe.tokens.Tokenizer;
import dev.loupe.tokens.Tokenizers;

import java.nio.file.Path;

/** A model directory opened for trace and contrast: the network and its tokenizer (both required). */
record OpenedModel(Gpt gpt, Tokenizer tokenizer, Path dir) {

    static OpenedModel open(Path dir, boolean allowNonFinite) {
        ModelDirectory.LoadedModel m = ModelDirectory.read(dir, allowNonFinite);
        Tokenizer tok = Tokenizers.require(dir);
        return new OpenedModel(Gpt.fromWeights(m.config(), m.weights()), tok, dir);
    }

    /** A token's text with spaces and newlines made visible (' the' shows as '·the'). */
    String show(int id) {
        return TokenDisplay.visible(tokenizer.tokenText(id));
    }
}
