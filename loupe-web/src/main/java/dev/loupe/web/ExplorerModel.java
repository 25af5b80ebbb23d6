package dev.loupe.web;

import dev.loupe.LoupeException;
import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.model.WeightFormat;
import dev.loupe.model.io.ModelDirectory;
import dev.loupe.model.io.SamplePrompt;
import dev.loupe.tokens.TokenDisplay;
import dev.loupe.tokens.Tokenizer;
import dev.loupe.tokens.Tokenizers;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * The one model the explorer looks into, with its tokenizer and the lock that serialises its forward
 * passes.
 *
 * <p>Why a lock: a {@link Gpt} reuses its activation buffers from pass to pass and keeps one hook
 * registry, so two passes at once would overwrite each other's activations and see each other's
 * caching hooks. Every analysis that runs the model goes through {@link #exclusive}; what it keeps
 * (patterns, logits, decompositions) is copied out, so reading results needs no lock. Passes are
 * already parallel inside (the one {@code Parallel} pool on all cores), so serialising them costs
 * little throughput on a local tool.
 */
public final class ExplorerModel {
    private final Gpt gpt;
    private final Tokenizer tokenizer;
    private final String name;
    private final ReentrantLock lock = new ReentrantLock();
    private final Optional<String> trainingSample;

    public ExplorerModel(Gpt gpt, Tokenizer tokenizer, String name) {
        this(gpt, tokenizer, name, Optional.empty());
    }

    /**
     * A model with {@code trainingSample}, a window of the text it was trained on ({@link SamplePrompt},
     * kept beside models Loupe trained), which the page opens on.
     */
    public ExplorerModel(Gpt gpt, Tokenizer tokenizer, String name, Optional<String> trainingSample) {
        this.gpt = gpt;
        this.tokenizer = tokenizer;
        this.name = name;
        this.trainingSample = trainingSample;
    }

    /**
     * Opens a model directory (config.json, model.safetensors, a tokenizer, and sample_prompt.txt when
     * Loupe trained it).
     *
     * @throws LoupeException with one line naming the directory and what is missing or wrong
     */
    public static ExplorerModel open(Path dir) {
        return open(dir, false);
    }

    /** {@link #open(Path)}; {@code allowNonFinite} loads weights holding NaN or Inf (refused otherwise). */
    public static ExplorerModel open(Path dir, boolean allowNonFinite) {
        return open(dir, allowNonFinite, WeightFormat.F32);
    }

    /**
     * {@link #open(Path, boolean)} with the weight matrices held in {@code format}: bfloat16 reads them
     * as such ({@link ModelDirectory#readBf16}: half the memory of float32), and every view then
     * describes that bfloat16 model — the weight-only ones (circuits) through the exact float32
     * widening of the rounded weights. Either way the model is frozen (no gradient buffers: the
     * explorer never trains), so a float32 model is held once, not twice.
     */
    public static ExplorerModel open(Path dir, boolean allowNonFinite, WeightFormat format) {
        if (!Files.isDirectory(dir)) throw new LoupeException("model directory " + dir + " does not exist");
        Gpt gpt = ModelDirectory.readModel(dir, allowNonFinite, format, true);   // frozen: no gradient buffers to hold
        Tokenizer tok = Tokenizers.require(dir);
        Path fn = dir.toAbsolutePath().normalize().getFileName();
        return new ExplorerModel(gpt, tok, fn == null ? dir.toString() : fn.toString(), SamplePrompt.read(dir));
    }

    public GptConfig config() { return gpt.config(); }

    public Gpt gpt() { return gpt; }

    public Tokenizer tokenizer() { return tokenizer; }

    public String name() { return name; }

    /** The sample of the training text kept beside the model, if any. */
    public Optional<String> trainingSample() { return trainingSample; }

    /** Runs {@code work} (which may run the model's forward pass) while no other pass runs. */
    public <T> T exclusive(Supplier<T> work) {
        lock.lock();
        try {
            return work.get();
        } finally {
            lock.unlock();
        }
    }

    /** A token's raw text, or "#id" when the model's vocabulary is larger than the tokenizer's. */
    public String text(int id) {
        return id < tokenizer.vocabSize() ? tokenizer.tokenText(id) : "#" + id;
    }

    /** A token's text with spaces, newlines and tabs made visible (· ↵ →). */
    public String display(int id) {
        return id < tokenizer.vocabSize() ? TokenDisplay.visible(tokenizer.tokenText(id)) : "#" + id;
    }
}
