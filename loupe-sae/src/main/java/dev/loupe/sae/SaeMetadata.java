package dev.loupe.sae;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where an SAE belongs: the {@code "metadata"} object of SAELens' {@code cfg.json} (the top-level
 * keys of the older flat form). Unknown keys are kept in {@code extra} (JSON values as Jackson
 * reads them: String, Integer, Boolean, List, Map …) so a file read and written again loses
 * nothing.
 *
 * @param modelName     the model the SAE was trained on (e.g. "gpt2"), or null
 * @param hookName      the TransformerLens hook point, e.g. "blocks.5.hook_resid_post"
 * @param hookHeadIndex the head for per-head hooks, or null
 * @param contextSize   the context length of the training windows, or null
 * @param prependBos    whether training prompts started with BOS, or null
 * @param datasetPath   the training data, or null
 * @param extra         every other metadata key, in file order
 */
public record SaeMetadata(String modelName, String hookName, Integer hookHeadIndex, Integer contextSize,
                          Boolean prependBos, String datasetPath, Map<String, Object> extra) {

    public SaeMetadata {
        extra = extra == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(extra));
    }

    /** Metadata with only a model and hook name. */
    public static SaeMetadata of(String modelName, String hookName) {
        return new SaeMetadata(modelName, hookName, null, null, null, null, Map.of());
    }

    /** This metadata with a different hook name. */
    public SaeMetadata withHookName(String name) {
        return new SaeMetadata(modelName, name, hookHeadIndex, contextSize, prependBos, datasetPath, extra);
    }

    /** The layer of {@link #hookName()} ({@code blocks.L.…}), or -1 when the name has none. */
    public int hookLayer() {
        if (hookName == null || !hookName.startsWith("blocks.")) return -1;
        int dot = hookName.indexOf('.', 7);
        try {
            return Integer.parseInt(hookName.substring(7, dot < 0 ? hookName.length() : dot));
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
