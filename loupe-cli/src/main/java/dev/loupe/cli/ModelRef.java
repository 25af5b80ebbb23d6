package dev.loupe.cli;

import dev.loupe.LoupeException;
import dev.loupe.hub.Hub;
import dev.loupe.model.io.ModelDirectory;
import picocli.CommandLine;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What a user types after {@code --model} (or {@code --init}, {@code convert --from}): a model
 * directory, or a hub name such as {@code gpt2} or {@code owner/name} that {@code loupe fetch}
 * put in the cache. Every command that takes a model declares its option with
 * {@code converter = ModelRef.Converter.class} and calls {@link #dir()}, so names resolve the
 * same way everywhere.
 *
 * <p>Resolution is deferred to {@link #dir()} (not done while parsing) so that {@code --help}
 * always works and a missing model is a failure with one line naming {@code loupe fetch NAME}
 * (exit 1), not a usage error.
 *
 * @param spec the text as typed
 */
public record ModelRef(String spec) {

    /** The picocli converter: keeps the text; nothing is looked up yet. */
    public static final class Converter implements CommandLine.ITypeConverter<ModelRef> {
        @Override
        public ModelRef convert(String value) {
            return new ModelRef(value);
        }
    }

    /**
     * The local model directory: {@code spec} itself when it is a directory, else the cached hub
     * model of that name ({@link Hub#resolveModel(String)}).
     *
     * <p>A file is refused with what to do instead: an llm.c checkpoint names the {@code loupe convert}
     * command that turns it into a directory, a {@code config.json} or {@code model.safetensors}
     * names its directory.
     *
     * @throws dev.loupe.LoupeException "model 'gpt2' is not a directory and not in the cache; run 'loupe fetch gpt2'"
     */
    public Path dir() {
        Path p = Path.of(spec);
        if (Files.isRegularFile(p)) throw new LoupeException(ModelDirectory.whyNotADirectory(p, spec));
        return Hub.resolveModel(spec);
    }

    /** A short name for messages and reports: the last path element, or the hub name. */
    public String displayName() {
        Path p = Path.of(spec).getFileName();
        return p == null ? spec : p.toString();
    }

    @Override
    public String toString() {
        return spec;
    }
}
