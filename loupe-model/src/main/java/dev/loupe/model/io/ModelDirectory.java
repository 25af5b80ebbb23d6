package dev.loupe.model.io;

import dev.loupe.LoupeException;
import dev.loupe.model.GptConfig;
import dev.loupe.tensor.Tensor;
import dev.loupe.tensor.io.AtomicFiles;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A model directory in the Hugging Face GPT-2 layout (SPEC §2): {@code config.json}
 * ({@link ConfigJson}) and {@code model.safetensors} holding exactly the tensors of
 * {@link GptConfig#expectedShapes()} (GPT-2 names, Conv1D orientation [in, out]).
 *
 * <p>Reading accepts names with a {@code transformer.} prefix (as GPT2LMHeadModel saves them),
 * F16/BF16 data (widened), and ignores tensors the configuration does not use: HF's
 * {@code h.{i}.attn.bias} / {@code masked_bias} buffers, and {@code lm_head.weight} of a tied
 * model. A missing tensor or a wrong shape is an error naming the file, the tensor, and the
 * expected and actual shapes. Writing replaces each file atomically (weights first, then the
 * configuration) and writes names without prefix, like the {@code gpt2} checkpoints on the hub.
 */
public final class ModelDirectory {
    public static final String CONFIG = "config.json";
    public static final String WEIGHTS = "model.safetensors";
    private static final String PREFIX = "transformer.";

    /**
     * A model read from disk.
     *
     * @param weights tensors in {@link GptConfig#expectedShapes()} order, names and shapes
     * @param dir     where it came from: the model directory, or the file for {@link LlmcCheckpoint}
     */
    public record LoadedModel(GptConfig config, Map<String, Tensor> weights, Path dir) {}

    private ModelDirectory() {}

    /** Reads only {@code dir/config.json}. */
    public static GptConfig readConfig(Path dir) {
        Path file = dir.resolve(CONFIG);
        requireDirectory(dir);
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new LoupeException(dir + " is not a model directory: it has no " + CONFIG);
        } catch (IOException e) {
            throw new LoupeException("cannot read " + file + ": " + e.getMessage(), e);
        }
        return ConfigJson.parse(text, file.toString());
    }

    /** Reads the configuration and every weight the configuration needs. */
    public static LoadedModel read(Path dir) {
        GptConfig config = readConfig(dir);
        Path file = dir.resolve(WEIGHTS);
        if (!Files.isRegularFile(file)) {
            String hint = Files.exists(dir.resolve("pytorch_model.bin"))
                    ? " (it has pytorch_model.bin: Loupe reads safetensors only; re-save with safe_serialization=True)"
                    : "";
            throw new LoupeException(dir + " has no " + WEIGHTS + hint);
        }
        try (SafetensorsFile f = Safetensors.open(file)) {
            Map<String, Tensor> weights = new LinkedHashMap<>();
            for (Map.Entry<String, int[]> e : config.expectedShapes().entrySet()) {
                String name = e.getKey();
                String stored = f.contains(name) ? name : f.contains(PREFIX + name) ? PREFIX + name : null;
                if (stored == null) {
                    throw new LoupeException(file + ": tensor '" + name + "' is missing (expected shape "
                            + Arrays.toString(e.getValue()) + " for " + describe(config) + ")");
                }
                if (f.contains(name) && f.contains(PREFIX + name)) {
                    throw new LoupeException(file + ": tensor '" + name + "' is stored twice, with and without the '"
                            + PREFIX + "' prefix");
                }
                int[] actual = f.entries().get(stored).shape();
                if (!Arrays.equals(actual, e.getValue())) {
                    throw new LoupeException(file + ": tensor '" + stored + "' has shape " + Arrays.toString(actual)
                            + ", expected " + Arrays.toString(e.getValue()) + " for " + describe(config));
                }
                weights.put(name, f.read(stored));
            }
            return new LoadedModel(config, Collections.unmodifiableMap(weights), dir);
        }
    }

    /**
     * Writes {@code config.json} and {@code model.safetensors} into {@code dir} (created if needed),
     * each atomically. {@code weights} must hold exactly the tensors of
     * {@link GptConfig#expectedShapes()} with those shapes; they are written in that order.
     */
    public static void write(Path dir, GptConfig config, Map<String, Tensor> weights) {
        Map<String, int[]> expected = config.expectedShapes();
        Map<String, Tensor> ordered = new LinkedHashMap<>();
        for (Map.Entry<String, int[]> e : expected.entrySet()) {
            Tensor t = weights.get(e.getKey());
            if (t == null) {
                throw new LoupeException("cannot write " + dir + ": tensor '" + e.getKey() + "' is missing");
            }
            if (!Arrays.equals(t.shape(), e.getValue())) {
                throw new LoupeException("cannot write " + dir + ": tensor '" + e.getKey() + "' has shape "
                        + Arrays.toString(t.shape()) + ", expected " + Arrays.toString(e.getValue()));
            }
            ordered.put(e.getKey(), t);
        }
        for (String name : weights.keySet()) {
            if (!expected.containsKey(name)) {
                throw new LoupeException("cannot write " + dir + ": tensor '" + name + "' is not part of "
                        + describe(config));
            }
        }
        Safetensors.write(dir.resolve(WEIGHTS), ordered, Map.of("format", "pt"));
        AtomicFiles.writeString(dir.resolve(CONFIG), ConfigJson.format(config));
    }

    private static void requireDirectory(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new LoupeException(Files.exists(dir) ? dir + " is not a directory (a model is a directory with "
                    + CONFIG + " and " + WEIGHTS + ")" : "model directory " + dir + " does not exist");
        }
    }

    private static String describe(GptConfig c) {
        return "a " + c.nLayer() + "-layer model with n_embd " + c.dModel() + ", vocab " + c.vocabSize()
                + ", mlp " + c.mlp().name().toLowerCase() + ", positions " + c.positional().name().toLowerCase()
                + (c.tied() ? ", tied" : ", untied");
    }
}
