package dev.loupe.cli.model;

import dev.loupe.cli.ModelRef;
import dev.loupe.model.WeightFormat;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The options of commands that run a model over one text ({@code attribute}, {@code lens},
 * {@code attention}): the model, the text, and whether a BOS token is prepended — never implicit.
 */
public final class ModelText {
    @Option(names = "--model", required = true, paramLabel = "DIR|NAME", converter = ModelRef.Converter.class,
            description = "Model directory with a tokenizer, or a hub name fetched with 'loupe fetch'.")
    ModelRef model;

    @Option(names = "--text", required = true, paramLabel = "TEXT", description = "The text to run, used as given.")
    String text;

    @Option(names = "--prepend-bos", description = "Prepend the end-of-text token as BOS (default: the text's tokens only).")
    boolean prependBos;

    @Mixin
    NonFiniteOption nonFinite;

    /** The opened model and the text's ids (with the BOS choice recorded). */
    public record Opened(LoadedGpt model, BosText input) {}

    /** The --text as given. */
    public String text() {
        return text;
    }

    /** Loads the model (float32) and encodes the text with its tokenizer. */
    public Opened open() {
        return open(WeightFormat.F32);
    }

    /** Loads the model with its weight matrices in {@code format} ({@link WeightsOption}) and encodes the text. */
    public Opened open(WeightFormat format) {
        LoadedGpt m = LoadedGpt.open(model, nonFinite.allowed(), null, format);
        return new Opened(m, BosText.encode(m.requireTokenizer("--text"), text, prependBos));
    }
}
