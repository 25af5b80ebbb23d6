package dev.loupe.model.lora;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.LoupeException;
import dev.loupe.model.io.Safetensors;
import dev.loupe.tensor.Tensor;
import dev.loupe.tensor.io.AtomicFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A LoRA adapter directory in Hugging Face PEFT's layout ({@code PeftModel.save_pretrained}):
 * <pre>
 *   adapter_config.json         LoraConfig's fields: peft_type "LORA", task_type "CAUSAL_LM", r,
 *                               lora_alpha, lora_dropout, target_modules, fan_in_fan_out true (GPT-2's
 *                               Conv1D), bias "none", base_model_name_or_path, and PEFT's other keys
 *                               at their defaults
 *   adapter_model.safetensors   base_model.model.transformer.h.{i}.{module}.lora_A.weight [r, in]
 *                               base_model.model.transformer.h.{i}.{module}.lora_B.weight [out, r]
 *                               (no adapter name in the keys; metadata {"format": "pt"})
 * </pre>
 * Reading accepts what PEFT writes for a plain LoRA on GPT-2 and refuses, naming the key, the
 * options that would change the computation and that Loupe does not implement (DoRA, per-module
 * rank or alpha patterns, layer subsets, trained biases, extra saved modules).
 */
public final class AdapterFiles {
    public static final String CONFIG = "adapter_config.json";
    public static final String WEIGHTS = "adapter_model.safetensors";
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .build();

    private AdapterFiles() {}

    /** An adapter read from a directory: its settings and its A/B tensors by PEFT name. */
    public record Loaded(LoraConfig config, Map<String, Tensor> tensors, Path dir) {}

    /** Writes both files into {@code dir} (created if needed), each atomically. */
    public static void write(Path dir, LoraConfig config, Map<String, Tensor> tensors) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new LoupeException("cannot create " + dir + ": " + e.getMessage(), e);
        }
        Safetensors.write(dir.resolve(WEIGHTS), tensors, Map.of("format", "pt"));
        AtomicFiles.writeString(dir.resolve(CONFIG), configJson(config) + "\n");
    }

    /** Reads an adapter directory; any problem is a {@link LoupeException} naming the file and the key. */
    public static Loaded read(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new LoupeException(Files.exists(dir) ? dir + " is not a directory (an adapter is a directory with "
                    + CONFIG + " and " + WEIGHTS + ")" : "adapter directory " + dir + " does not exist");
        }
        Path cfg = dir.resolve(CONFIG);
        if (!Files.isRegularFile(cfg)) throw new LoupeException(dir + " has no " + CONFIG + ": not a PEFT adapter directory");
        Path w = dir.resolve(WEIGHTS);
        if (!Files.isRegularFile(w)) throw new LoupeException(dir + " has no " + WEIGHTS + " (PEFT's .bin pickles are not read)");
        try {
            return new Loaded(parseConfig(Files.readString(cfg), cfg.toString()), Safetensors.read(w), dir);
        } catch (IOException e) {
            throw new LoupeException("cannot read " + cfg + ": " + e.getMessage(), e);
        }
    }

    /** adapter_config.json text for a config, with every key PEFT's {@code LoraConfig} writes (sorted, as PEFT does). */
    public static String configJson(LoraConfig c) {
        ObjectNode n = JSON.createObjectNode();
        n.putObject("alpha_pattern");
        n.putNull("auto_mapping");
        n.put("base_model_name_or_path", c.baseModel());
        n.put("bias", "none");
        n.putNull("exclude_modules");
        n.put("fan_in_fan_out", true);
        n.put("inference_mode", true);
        n.put("init_lora_weights", true);
        n.putNull("layer_replication");
        n.putNull("layers_pattern");
        n.putNull("layers_to_transform");
        n.putObject("loftq_config");
        if (c.alpha() == Math.rint(c.alpha())) n.put("lora_alpha", (long) c.alpha());
        else n.put("lora_alpha", c.alpha());
        n.put("lora_bias", false);
        n.put("lora_dropout", c.dropout());
        n.putNull("megatron_config");
        n.put("megatron_core", "megatron.core");
        n.putNull("modules_to_save");
        n.put("peft_type", "LORA");
        n.put("r", c.r());
        n.putObject("rank_pattern");
        n.putNull("revision");
        if (c.targetRegex() != null) {
            n.put("target_modules", c.targetRegex());
        } else {
            ArrayNode t = n.putArray("target_modules");
            c.targetModules().forEach(t::add);
        }
        n.put("task_type", "CAUSAL_LM");
        n.put("use_dora", false);
        n.put("use_rslora", c.rsLora());
        try {
            return JSON.writeValueAsString(n);
        } catch (JacksonException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Parses adapter_config.json text; {@code source} names the file in errors. */
    public static LoraConfig parseConfig(String json, String source) {
        JsonNode n;
        try {
            n = JSON.readTree(json);
        } catch (JacksonException e) {
            throw new LoupeException(source + ": malformed JSON: " + e.getOriginalMessage());
        }
        if (n == null || !n.isObject()) throw new LoupeException(source + ": must hold a JSON object");
        String type = n.path("peft_type").asText("");
        if (!type.equals("LORA")) throw new LoupeException(source + ": peft_type is '" + type + "', expected \"LORA\"");
        refuseIf(n.path("use_dora").asBoolean(false), source, "use_dora", "DoRA is not supported");
        refuseIf(!n.path("bias").asText("none").equals("none"), source, "bias", "only \"none\" is supported");
        refuseIf(n.path("lora_bias").asBoolean(false), source, "lora_bias", "LoRA biases are not supported");
        refuseIf(nonEmpty(n.get("rank_pattern")), source, "rank_pattern", "per-module ranks are not supported");
        refuseIf(nonEmpty(n.get("alpha_pattern")), source, "alpha_pattern", "per-module alphas are not supported");
        refuseIf(nonEmpty(n.get("layers_to_transform")), source, "layers_to_transform", "layer subsets are not supported");
        refuseIf(nonEmpty(n.get("modules_to_save")), source, "modules_to_save", "fully trained extra modules are not supported");
        refuseIf(nonEmpty(n.get("layer_replication")), source, "layer_replication", "layer replication is not supported");
        refuseIf(nonEmpty(n.get("exclude_modules")), source, "exclude_modules", "excluded modules are not supported");
        JsonNode r = n.get("r");
        if (r == null || !r.canConvertToInt() || !r.isIntegralNumber()) throw new LoupeException(source + ": \"r\" must be an integer");
        JsonNode alpha = n.get("lora_alpha");
        if (alpha == null || !alpha.isNumber()) throw new LoupeException(source + ": \"lora_alpha\" must be a number");
        JsonNode tm = n.get("target_modules");
        List<String> targets = new ArrayList<>();
        String regex = null;
        if (tm != null && tm.isTextual()) {
            regex = tm.asText();
        } else if (tm != null && tm.isArray()) {
            for (JsonNode t : tm) targets.add(t.asText());
        } else {
            throw new LoupeException(source + ": \"target_modules\" must be a list of module names or a regular expression");
        }
        try {
            return new LoraConfig(r.asInt(), alpha.asDouble(), n.path("lora_dropout").asDouble(0.0), targets, regex,
                    n.path("use_rslora").asBoolean(false), n.path("base_model_name_or_path").asText(""));
        } catch (LoupeException e) {
            throw new LoupeException(source + ": " + e.getMessage());
        }
    }

    private static boolean nonEmpty(JsonNode v) {
        return v != null && !v.isNull() && !(v.isContainerNode() && v.isEmpty());
    }

    private static void refuseIf(boolean bad, String source, String key, String why) {
        if (bad) throw new LoupeException(source + ": \"" + key + "\" is set: " + why);
    }
}
