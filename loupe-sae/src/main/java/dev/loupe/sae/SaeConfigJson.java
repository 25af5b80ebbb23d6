package dev.loupe.sae;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.LoupeException;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * {@link SaeConfig} ↔ SAELens' {@code cfg.json}.
 *
 * <p>Two forms are read:
 * <ul>
 *   <li>the current one (SAELens ≥ 6): {@code architecture, d_in, d_sae, dtype, device,
 *       apply_b_dec_to_input, normalize_activations, reshape_activations, k} (topk) and a
 *       {@code metadata} object {@code {model_name, hook_name, hook_head_index, context_size,
 *       prepend_bos, dataset_path, …}};</li>
 *   <li>the older flat one (SAELens ≤ 5 and the first releases): the metadata keys at top level,
 *       {@code hook_name} or {@code hook_point}, {@code hook_layer} or {@code hook_point_layer},
 *       {@code hook_head_index} or {@code hook_point_head_index}, an optional {@code architecture}
 *       (default standard), topk given as {@code activation_fn_str: "topk"} with
 *       {@code activation_fn_kwargs: {k}}, {@code d_sae} or {@code expansion_factor}·d_in, and
 *       {@code normalize_activations} possibly a boolean (false = "none").</li>
 * </ul>
 * {@code expected_average_only_in} in a file means the scale was already folded into the weights
 * (SAELens applies nothing at inference for it), so such a file loads with input scale 1.
 *
 * <p>Writing produces the current form with SAELens' key order:
 * {@code d_in, d_sae, dtype, device, apply_b_dec_to_input, normalize_activations,
 * reshape_activations, metadata, [k,] architecture}.
 */
public final class SaeConfigJson {
    static final ObjectMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .build();

    private static final Set<String> KNOWN_METADATA = Set.of("model_name", "hook_name", "hook_point", "hook_head_index",
            "hook_point_head_index", "context_size", "prepend_bos", "dataset_path");

    private SaeConfigJson() {}

    /** Parses {@code cfg.json} text; {@code source} names the file in error messages. */
    public static SaeConfig parse(String json, String source) {
        JsonNode root = dev.loupe.model.io.ConfigJson.readObject(JSON, json, source);
        boolean current = root.has("metadata") && root.get("metadata").isObject();
        JsonNode meta = current ? root.get("metadata") : root;

        int dIn = integer(root, "d_in", null, source);
        Integer dSae = optional(root, "d_sae", source);
        if (dSae == null) {
            if (!root.hasNonNull("expansion_factor")) {
                throw new LoupeException(source + ": neither \"d_sae\" nor \"expansion_factor\" is given");
            }
            dSae = (int) Math.round(number(root, "expansion_factor", source) * dIn);
        }
        Architecture arch = Architecture.STANDARD;
        int k = 0;
        if (root.hasNonNull("architecture")) {
            try {
                arch = Architecture.fromName(root.get("architecture").asText());
            } catch (LoupeException e) {
                throw new LoupeException(source + ": field \"architecture\": " + e.getMessage());
            }
        }
        if (arch == Architecture.STANDARD && root.hasNonNull("activation_fn_str")) {
            String fn = root.get("activation_fn_str").asText();
            switch (fn) {
                case "relu" -> { }
                case "topk" -> arch = Architecture.TOPK;
                default -> throw new LoupeException(source + ": activation_fn_str \"" + fn
                        + "\" is not supported (expected relu or topk)");
            }
        }
        if (arch == Architecture.TOPK) {
            JsonNode kwargs = root.get("activation_fn_kwargs");
            if (root.hasNonNull("k")) k = integer(root, "k", null, source);
            else if (kwargs != null && kwargs.hasNonNull("k")) k = integer(kwargs, "k", null, source);
            else throw new LoupeException(source + ": a topk SAE needs \"k\"");
        }
        if (root.path("rescale_acts_by_decoder_norm").asBoolean(false)) {
            throw new LoupeException(source + ": rescale_acts_by_decoder_norm true is not supported (the activations"
                    + " would be computed differently); save the SAE with its decoder norms folded");
        }
        boolean applyBDec = !root.has("apply_b_dec_to_input") || root.get("apply_b_dec_to_input").asBoolean(true);
        String normalize = SaeConfig.NORMALIZE_NONE;
        JsonNode norm = root.get("normalize_activations");
        if (norm != null && !norm.isNull()) {
            if (norm.isBoolean()) {
                if (norm.asBoolean()) {
                    throw new LoupeException(source + ": normalize_activations true (per-token rescaling) is not supported");
                }
            } else if (!norm.asText().equals("none") && !norm.asText().equals(SaeConfig.NORMALIZE_EXPECTED_AVERAGE)) {
                throw new LoupeException(source + ": normalize_activations \"" + norm.asText()
                        + "\" is not supported (expected none or expected_average_only_in)");
            } else {
                normalize = norm.asText();
            }
        }
        String reshape = root.hasNonNull("reshape_activations") ? root.get("reshape_activations").asText() : "none";
        String dtype = root.hasNonNull("dtype") ? root.get("dtype").asText() : "float32";
        String device = root.hasNonNull("device") ? root.get("device").asText() : "cpu";
        SaeMetadata metadata = metadata(meta, current, source);
        try {
            return new SaeConfig(arch, dIn, dSae, k, applyBDec, normalize, reshape, dtype, device, metadata);
        } catch (LoupeException e) {
            throw new LoupeException(source + ": " + e.getMessage());
        }
    }

    private static SaeMetadata metadata(JsonNode m, boolean current, String source) {
        String hook = m.hasNonNull("hook_name") ? m.get("hook_name").asText()
                : m.hasNonNull("hook_point") ? m.get("hook_point").asText() : null;
        Integer head = m.hasNonNull("hook_head_index") ? optional(m, "hook_head_index", source)
                : optional(m, "hook_point_head_index", source);
        Integer context = optional(m, "context_size", source);
        Boolean bos = m.hasNonNull("prepend_bos") ? m.get("prepend_bos").asBoolean() : null;
        String model = m.hasNonNull("model_name") ? m.get("model_name").asText() : null;
        String dataset = m.hasNonNull("dataset_path") ? m.get("dataset_path").asText() : null;
        Map<String, Object> extra = new LinkedHashMap<>();
        if (current) {
            for (Iterator<Map.Entry<String, JsonNode>> it = m.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!KNOWN_METADATA.contains(e.getKey())) extra.put(e.getKey(), JSON.convertValue(e.getValue(), Object.class));
            }
        } else {
            for (String key : new String[] {"hook_layer", "hook_point_layer", "model_class_name"}) {
                if (m.has(key)) extra.put(key, JSON.convertValue(m.get(key), Object.class));
            }
        }
        return new SaeMetadata(model, hook, head, context, bos, dataset, extra);
    }

    /** The current SAELens form of {@code config}, pretty-printed. */
    public static String write(SaeConfig c) {
        ObjectNode root = JSON.createObjectNode();
        root.put("d_in", c.dIn());
        root.put("d_sae", c.dSae());
        root.put("dtype", c.dtype());
        root.put("device", c.device());
        root.put("apply_b_dec_to_input", c.applyBDecToInput());
        root.put("normalize_activations", c.normalizeActivations());
        root.put("reshape_activations", c.reshapeActivations());
        ObjectNode meta = root.putObject("metadata");
        SaeMetadata m = c.metadata();
        meta.put("model_name", m.modelName());
        meta.put("hook_name", m.hookName());
        if (m.hookHeadIndex() == null) meta.putNull("hook_head_index");
        else meta.put("hook_head_index", m.hookHeadIndex());
        if (m.contextSize() == null) meta.putNull("context_size");
        else meta.put("context_size", m.contextSize());
        if (m.prependBos() == null) meta.putNull("prepend_bos");
        else meta.put("prepend_bos", m.prependBos());
        meta.put("dataset_path", m.datasetPath());
        m.extra().forEach((key, v) -> meta.set(key, JSON.valueToTree(v)));
        if (c.architecture() == Architecture.TOPK) root.put("k", c.k());
        root.put("architecture", c.architecture().saeLensName());
        try {
            return JSON.writeValueAsString(root) + "\n";
        } catch (JacksonException e) {
            throw new LoupeException("cannot write cfg.json: " + e.getOriginalMessage(), e);
        }
    }

    private static int integer(JsonNode n, String key, Integer dflt, String source) {
        JsonNode v = n.get(key);
        if (v == null || v.isNull()) {
            if (dflt != null) return dflt;
            throw new LoupeException(source + ": missing field \"" + key + "\"");
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw new LoupeException(source + ": field \"" + key + "\" must be an integer, got " + v);
        }
        return v.asInt();
    }

    /** The integer at {@code key}, or null when absent or JSON null. */
    private static Integer optional(JsonNode n, String key, String source) {
        return n.hasNonNull(key) ? Integer.valueOf(integer(n, key, null, source)) : null;
    }

    private static double number(JsonNode n, String key, String source) {
        JsonNode v = n.get(key);
        if (v == null || !v.isNumber()) throw new LoupeException(source + ": field \"" + key + "\" must be a number, got " + v);
        return v.asDouble();
    }
}
