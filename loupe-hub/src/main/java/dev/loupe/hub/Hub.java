package dev.loupe.hub;

import dev.loupe.LoupeException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Turns what a user types after {@code --model} into a model directory: a path to a directory is
 * used as it is; a hub name ({@code gpt2}, {@code owner/name}) resolves to its directory in Loupe's
 * or Hugging Face's cache ({@link HubCache}). Nothing is downloaded here: {@code loupe fetch} does that.
 */
public final class Hub {
    /** The files every model directory needs. */
    public static final List<String> MODEL_FILES = List.of("config.json", "model.safetensors");
    /** The tokenizer files of a GPT-2-style model. */
    public static final List<String> TOKENIZER_FILES = List.of("vocab.json", "merges.txt");

    private Hub() {}

    /**
     * The local model directory for {@code nameOrDir}, using the caches of the environment.
     *
     * @throws LoupeException "model 'x' is not a directory and not in the cache; run 'loupe fetch x'"
     */
    public static Path resolveModel(String nameOrDir) {
        return resolveModel(nameOrDir, HubCache.fromEnvironment());
    }

    /** {@link #resolveModel(String)} with explicit caches. */
    public static Path resolveModel(String nameOrDir, HubCache cache) {
        return resolve(nameOrDir, cache, MODEL_FILES);
    }

    /**
     * A local directory holding {@code files} for {@code nameOrDir}: the directory itself, or the
     * cached hub model (e.g. the tokenizer files of {@code gpt2}).
     */
    public static Path resolve(String nameOrDir, HubCache cache, List<String> files) {
        Path p = Path.of(nameOrDir);
        if (Files.isDirectory(p)) return p;
        if (HubName.looksLikeName(nameOrDir)) {
            var found = cache.find(HubName.parse(nameOrDir), files);
            if (found.isPresent()) return found.get();
        }
        if (Files.exists(p)) throw new LoupeException("model '" + nameOrDir + "' is a file, not a model directory");
        Path parent = p.getParent();
        if (!HubName.looksLikeName(nameOrDir) || (parent != null && Files.isDirectory(parent))) {
            // a path (its folder exists, or no hub name is spelled so): fetching would not help
            throw new LoupeException("no model directory at '" + nameOrDir + "': make it first (e.g. 'loupe quickstart' makes "
                    + "runs/quickstart/attn-only-2l, 'loupe train --out " + nameOrDir + "' trains one) or give an existing one");
        }
        throw new LoupeException("model '" + nameOrDir + "' is not a directory and not in the cache; run 'loupe fetch " + nameOrDir + "'");
    }
}
