package dev.loupe.model;

import dev.loupe.LoupeException;
import dev.loupe.hub.Hub;
import dev.loupe.model.io.ModelDirectory;
import dev.loupe.tokens.Tokenizer;
import dev.loupe.tokens.Tokenizers;

import java.nio.file.Path;

/**
 * A model with its tokenizer, as {@link Gpt#load} opens them (TransformerLens's
 * {@code HookedTransformer.from_pretrained}): text in, ids, losses and caches out.
 *
 * @param model     the network
 * @param tokenizer its tokenizer (the directory's vocab.json + merges.txt or tokenizer.json)
 * @param dir       where it was loaded from
 */
public record Pretrained(Gpt model, Tokenizer tokenizer, Path dir) {

    /** Opens a model directory or a hub name fetched with {@code loupe fetch} (e.g. "gpt2"); it must have a tokenizer. */
    public static Pretrained load(String dirOrHubName) {
        Path dir = Hub.resolveModel(dirOrHubName);
        ModelDirectory.LoadedModel m = ModelDirectory.read(dir);
        Tokenizer tok = Tokenizers.load(dir).orElseThrow(() -> new LoupeException(dir + " has no tokenizer (vocab.json + merges.txt or "
                + Tokenizers.TOKENIZER_JSON + "): load the network alone with ModelDirectory.read"));
        return new Pretrained(Gpt.fromWeights(m.config(), m.weights()), tok, dir);
    }

    /** The text's token ids [T] (TransformerLens's {@code to_tokens}, without a BOS: add one yourself if you want it). */
    public int[] encode(String text) {
        return tokenizer.encode(text);
    }

    /** The text of ids. */
    public String decode(int... ids) {
        return tokenizer.decode(ids);
    }

    /** Mean next-token loss (nats) of the text as one sequence. */
    public double loss(String text) {
        return model.loss(encode(text));
    }

    /** Logits [1, T, V] and every activation of the text as one sequence. */
    public Gpt.CachedRun runWithCache(String text) {
        return model.runWithCache(encode(text));
    }
}
