package dev.loupe.model.io;

import dev.loupe.LoupeException;
import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.tensor.Tensor;
import dev.loupe.tensor.bf16.Bf16Matrix;
import dev.loupe.tensor.io.AtomicFiles;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model directory in the Hugging Face GPT-2 layout (SPEC §2): {@code config.json}
 * ({@link ConfigJson}) and {@code model.safetensors} holding exactly the tensors of
 * {@link GptConfig#expectedShapes()} (GPT-2 names, Conv1D orientation [in, out]).
 *
 * <p>Reading accepts names with a {@code transformer.} prefix (as GPT2LMHeadModel saves them),
 * F16/BF16 data (widened), HF's {@code h.{i}.attn.bias} / {@code masked_bias} buffers of the
 * configured layers, and {@code lm_head.weight} of a tied model when it equals {@code wte}. A
 * missing tensor, a wrong shape, a tensor the configuration does not use, or a NaN/Inf weight is
 * an error naming the file and the tensor (docs/robustness.md lists every check). Writing replaces each file atomically (weights first, then the
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

    /** The largest config.json read (a GPT-2 config is under 1 KB): a lying file cannot cost memory. */
    static final long MAX_CONFIG_BYTES = 1 << 20;

    /**
     * Reads only {@code dir/config.json}: a regular file (a FIFO or device would block or never end)
     * of at most {@link #MAX_CONFIG_BYTES}, in UTF-8, holding one JSON object and nothing after it.
     */
    public static GptConfig readConfig(Path dir) {
        Path file = dir.resolve(CONFIG);
        requireDirectory(dir);
        if (!Files.exists(file)) throw new LoupeException(dir + " is not a model directory: it has no " + CONFIG);
        return ConfigJson.parse(TextFiles.readUtf8(file, MAX_CONFIG_BYTES), file.toString());
    }

    /** Reads the configuration and every weight, refusing non-finite weights ({@link #read(Path, boolean)}). */
    public static LoadedModel read(Path dir) {
        return read(dir, false);
    }

    /**
     * Reads the configuration and every weight the configuration needs. Before anything is
     * allocated: the configuration's tensor count (in long) must be plausible for the file, every
     * needed tensor must be in the header with its shape, the file must hold no tensor the
     * configuration does not use (an {@code n_layer} smaller than the weights' is refused, listing
     * the tensors, rather than dropping layers silently), and the parameters must fit in the heap
     * ({@link HeapBudget}). docs/robustness.md lists every check.
     *
     * @param allowNonFinite load weights holding NaN or ±Inf; otherwise refused ({@link FiniteWeights})
     */
    public static LoadedModel read(Path dir, boolean allowNonFinite) {
        GptConfig config = readConfig(dir);
        Path file = weightsFile(dir);
        try (SafetensorsFile f = Safetensors.open(file)) {
            Map<String, String> stored = checkedNames(dir, file, config, f);
            HeapBudget.require(dir.toString(), config);
            Map<String, Tensor> weights = new LinkedHashMap<>();
            for (Map.Entry<String, String> e : stored.entrySet()) weights.put(e.getKey(), readFloat(file, f, e.getValue(), allowNonFinite));
            requireTiedHeadMatches(file, config, f, weights.get("wte.weight"));
            return new LoadedModel(config, Collections.unmodifiableMap(weights), dir);
        }
    }

    /**
     * A model read for inference with bfloat16 weight matrices ({@link Gpt#withBf16Matrices}).
     *
     * @param vectors  every tensor {@link Gpt#heldInBf16} does not name, float32
     * @param matrices the weight matrices, bfloat16
     */
    public record Bf16Weights(GptConfig config, Map<String, Tensor> vectors, Map<String, Bf16Matrix> matrices, Path dir) {
        /** The inference model over these weights. */
        public Gpt gpt() {
            return Gpt.withBf16Matrices(config, vectors, matrices);
        }
    }

    /**
     * The model in {@code dir} with its weight matrices in {@code format}: float32 ({@link #read} then
     * {@link Gpt#fromWeights}), or bfloat16 read as such ({@link #readBf16}, never a float32 copy
     * first), for the commands that take {@code --weights}.
     */
    public static Gpt readModel(Path dir, boolean allowNonFinite, dev.loupe.model.WeightFormat format) {
        return readModel(dir, allowNonFinite, format, false);
    }

    /**
     * As {@link #readModel(Path, boolean, dev.loupe.model.WeightFormat)}; {@code frozen} gives a
     * float32 model no weight gradient buffers ({@link Gpt#frozen}): for a process that only runs and
     * reads the model (the explorer), which then holds its weights once, not twice. A bfloat16 model
     * is always frozen.
     */
    public static Gpt readModel(Path dir, boolean allowNonFinite, dev.loupe.model.WeightFormat format, boolean frozen) {
        if (format == dev.loupe.model.WeightFormat.BF16) return readBf16(dir, allowNonFinite).gpt();
        LoadedModel m = read(dir, allowNonFinite);
        return frozen ? Gpt.frozen(m.config(), m.weights()) : Gpt.fromWeights(m.config(), m.weights());
    }

    /**
     * As {@link #read(Path, boolean)}, with the same checks, but the weight matrices held in bfloat16:
     * BF16 tensors are taken as stored, never widened, others rounded to nearest (ties to even) one
     * tensor at a time, so the memory is about half of a float32 load (2 bytes per weight).
     */
    public static Bf16Weights readBf16(Path dir, boolean allowNonFinite) {
        GptConfig config = readConfig(dir);
        Path file = weightsFile(dir);
        try (SafetensorsFile f = Safetensors.open(file)) {
            Map<String, String> stored = checkedNames(dir, file, config, f);
            HeapBudget.require(dir.toString(), config, 2, "bfloat16");
            Map<String, Tensor> vectors = new LinkedHashMap<>();
            Map<String, Bf16Matrix> matrices = new LinkedHashMap<>();
            for (Map.Entry<String, String> e : stored.entrySet()) {
                String name = e.getKey(), s = e.getValue();
                if (!Gpt.heldInBf16(config, name)) {
                    vectors.put(name, readFloat(file, f, s, allowNonFinite));
                    continue;
                }
                Bf16Matrix m;
                if (f.entries().get(s).dtype() == Safetensors.DType.BF16) {
                    m = f.readBf16(s);                                         // as stored
                    if (!allowNonFinite) FiniteWeights.require(file, s, m);
                } else {
                    m = Bf16Matrix.of(readFloat(file, f, s, allowNonFinite));  // checked, then rounded
                }
                matrices.put(name, m);
            }
            String head = tiedHead(config, f);
            if (head != null && !f.readBf16(head).sameValues(matrices.get("wte.weight"))) {
                throw tiedHeadDiffers(file, head);
            }
            return new Bf16Weights(config, Collections.unmodifiableMap(vectors), Collections.unmodifiableMap(matrices), dir);
        }
    }

    /** dir/model.safetensors, or why it cannot be read. */
    private static Path weightsFile(Path dir) {
        Path file = dir.resolve(WEIGHTS);
        if (!Files.isRegularFile(file)) {
            String hint = Files.exists(dir.resolve("pytorch_model.bin"))
                    ? " (it has pytorch_model.bin: Loupe reads safetensors only; re-save with safe_serialization=True)"
                    : Files.exists(file) ? " (it is not a regular file)" : "";
            throw new LoupeException(dir + " has no " + WEIGHTS + hint);
        }
        return file;
    }

    /**
     * The header checks every read makes before allocating anything (plausible count, every needed
     * tensor present with its shape, no unused tensor); the stored name of each expected tensor.
     */
    private static Map<String, String> checkedNames(Path dir, Path file, GptConfig config, SafetensorsFile f) {
        requirePlausibleTensorCount(dir, config, f);
        Map<String, int[]> expected = config.expectedShapes();
        Map<String, String> stored = storedNames(file, config, f, expected);
        requireNoUnusedTensors(file, config, f, expected);
        return stored;
    }

    private static Tensor readFloat(Path file, SafetensorsFile f, String stored, boolean allowNonFinite) {
        Tensor t = f.read(stored);
        if (!allowNonFinite) FiniteWeights.require(file, stored, t);
        return t;
    }

    /** Tensors the configuration may need beyond those in the file before the mismatch is refused by counts alone. */
    private static final int NAME_SLACK = 1_000;

    /**
     * Compares the configuration's tensor count (computed in long, without building names) with the
     * file's before anything else: a config.json claiming 10⁹ layers over a small file is refused
     * here, in milliseconds, with the figures; smaller mismatches are named tensor by tensor.
     */
    private static void requirePlausibleTensorCount(Path dir, GptConfig c, SafetensorsFile f) {
        long tensors = c.tensorCount();
        if (tensors <= f.entries().size() + NAME_SLACK) return;
        long stored = 0;
        for (Safetensors.Entry e : f.entries().values()) stored += e.elements();
        throw new LoupeException(dir.resolve(CONFIG) + " describes " + describe(c) + ": " + tensors + " tensors, "
                + c.parameterCount() + " parameters, but " + WEIGHTS + " holds " + f.entries().size() + " tensors, "
                + stored + " values: config.json and the weights do not belong together");
    }

    /**
     * The name under which each expected tensor is stored (with or without the {@code transformer.}
     * prefix), checking every shape against the header before any data is read; all missing
     * tensors are listed.
     */
    private static Map<String, String> storedNames(Path file, GptConfig config, SafetensorsFile f, Map<String, int[]> expected) {
        Map<String, String> stored = new LinkedHashMap<>();
        List<String> missing = new ArrayList<>();
        for (Map.Entry<String, int[]> e : expected.entrySet()) {
            String name = e.getKey();
            String s = f.contains(name) ? name : f.contains(PREFIX + name) ? PREFIX + name : null;
            if (s == null) {
                missing.add(name);
                continue;
            }
            if (f.contains(name) && f.contains(PREFIX + name)) {
                throw new LoupeException(file + ": tensor '" + name + "' is stored twice, with and without the '"
                        + PREFIX + "' prefix");
            }
            int[] actual = f.entries().get(s).shape();
            if (!Arrays.equals(actual, e.getValue())) {
                throw new LoupeException(file + ": tensor '" + s + "' has shape " + Arrays.toString(actual)
                        + ", expected " + Arrays.toString(e.getValue()) + " for " + describe(config));
            }
            stored.put(name, s);
        }
        if (!missing.isEmpty()) {
            String first = missing.getFirst();
            throw new LoupeException(file + ": tensor '" + first + "' is missing (expected shape "
                    + Arrays.toString(expected.get(first)) + " for " + describe(config) + ")"
                    + (missing.size() == 1 ? "" : "; " + (missing.size() - 1) + " more missing: " + list(missing.subList(1, missing.size()))));
        }
        return stored;
    }

    /** Up to 8 names, then how many more. */
    private static String list(List<String> names) {
        int shown = Math.min(names.size(), 8);
        return String.join(", ", names.subList(0, shown)) + (shown < names.size() ? ", … (" + (names.size() - shown) + " more)" : "");
    }

    /** Tensors in the file that the configuration does not use, except HF's buffers and a tied head: refused, listed. */
    private static void requireNoUnusedTensors(Path file, GptConfig c, SafetensorsFile f, Map<String, int[]> expected) {
        List<String> unused = new ArrayList<>();
        for (String stored : f.entries().keySet()) {
            String name = stored.startsWith(PREFIX) ? stored.substring(PREFIX.length()) : stored;
            if (!expected.containsKey(name) && !isIgnorable(c, name)) unused.add(stored);
        }
        if (unused.isEmpty()) return;
        throw new LoupeException(file + ": " + unused.size() + " tensor" + (unused.size() == 1 ? "" : "s")
                + " that " + CONFIG + " (" + describe(c) + ") does not use: " + list(unused) + "; refusing to drop weights (does config.json match the weights?)");
    }

    /** HF's attention-mask buffers of the configured layers, and a tied model's lm_head (checked equal to wte). */
    private static boolean isIgnorable(GptConfig c, String name) {
        if (c.tied() && name.equals("lm_head.weight")) return true;
        if (!name.startsWith("h.")) return false;
        int dot = name.indexOf('.', 2);
        try {
            int l = Integer.parseInt(name.substring(2, dot < 0 ? 2 : dot));
            return l >= 0 && l < c.nLayer()
                    && (name.equals("h." + l + ".attn.bias") || name.equals("h." + l + ".attn.masked_bias"));
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /** A tied model may store lm_head.weight (HF does); it must then equal wte, or weights would be dropped. */
    private static void requireTiedHeadMatches(Path file, GptConfig c, SafetensorsFile f, Tensor wte) {
        String stored = tiedHead(c, f);
        if (stored == null) return;
        Tensor head = f.read(stored);
        if (!Arrays.equals(head.shape(), wte.shape()) || !Arrays.equals(head.toArray(), wte.toArray())) {
            throw tiedHeadDiffers(file, stored);
        }
    }

    /** The stored name of a tied model's redundant lm_head.weight, or null (untied, or not stored). */
    private static String tiedHead(GptConfig c, SafetensorsFile f) {
        if (!c.tied()) return null;
        return f.contains("lm_head.weight") ? "lm_head.weight" : f.contains(PREFIX + "lm_head.weight") ? PREFIX + "lm_head.weight" : null;
    }

    private static LoupeException tiedHeadDiffers(Path file, String stored) {
        return new LoupeException(file + ": tensor '" + stored + "' differs from wte.weight but " + CONFIG
                + " says tie_word_embeddings: true; refusing to drop it (set tie_word_embeddings to false?)");
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
            throw new LoupeException(Files.isRegularFile(dir) ? whyNotADirectory(dir, dir.toString())
                    : Files.exists(dir) ? dir + " is not a directory (a model is a directory with " + CONFIG + " and " + WEIGHTS + ")"
                    : "model directory " + dir + " does not exist");
        }
    }

    /**
     * Why the regular file {@code file}, given as a model (typed as {@code spec}), is not one, and
     * what to type instead: an llm.c checkpoint names the {@code loupe convert} command that turns
     * it into a directory; {@code config.json} or {@code model.safetensors} names its directory.
     */
    public static String whyNotADirectory(Path file, String spec) {
        String name = file.getFileName() == null ? "" : file.getFileName().toString();
        if (name.equals(CONFIG) || name.equals(WEIGHTS)) {
            return "model '" + spec + "' is a file: pass the directory that holds it, "
                    + (file.getParent() == null ? "." : file.getParent().toString());
        }
        int magic = magic(file);
        if (magic == LlmcCheckpoint.MAGIC) {
            return "'" + spec + "' is an llm.c checkpoint, not a model directory: convert it once with"
                    + " 'loupe convert --from " + spec + " --to DIR', then pass DIR as the model";
        }
        if (magic == 20240520 || magic == 20240801) return "'" + spec + "' is an llm.c token file (training data), not a model";
        return "model '" + spec + "' is a file, not a model directory (a directory with " + CONFIG + " and " + WEIGHTS + ")";
    }

    /** The first 4 bytes as a little-endian int (llm.c's magic numbers), or 0. */
    private static int magic(Path p) {
        try (java.io.InputStream in = Files.newInputStream(p)) {
            byte[] b = in.readNBytes(4);
            return b.length == 4 ? (b[0] & 0xff) | (b[1] & 0xff) << 8 | (b[2] & 0xff) << 16 | (b[3] & 0xff) << 24 : 0;
        } catch (java.io.IOException e) {
            return 0;
        }
    }

    private static String describe(GptConfig c) {
        return "a " + c.nLayer() + "-layer model with n_embd " + c.dModel() + ", vocab " + c.vocabSize()
                + ", mlp " + c.mlp().name().toLowerCase() + ", positions " + c.positional().name().toLowerCase()
                + (c.tied() ? ", tied" : ", untied");
    }
}
