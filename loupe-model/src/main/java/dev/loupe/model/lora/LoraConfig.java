package dev.loupe.model.lora;

import dev.loupe.LoupeException;
import dev.loupe.model.GptConfig;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The settings of a LoRA adapter (Hu et al., 2021), as Hugging Face PEFT's {@code LoraConfig}
 * stores them in {@code adapter_config.json}.
 *
 * <p>Each targeted GPT-2 Conv1D layer {@code y = x·W + b} (W [in, out]) becomes
 * {@code y = x·W + b + scale·(dropout(x)·Aᵀ)·Bᵀ} with A [r, in], B [out, r] and
 * {@code scale = lora_alpha / r} ({@code lora_alpha / √r} with rsLoRA), i.e.
 * ΔW = scale·(B·A)ᵀ [in, out].
 *
 * @param r             rank of the update
 * @param alpha         {@code lora_alpha}
 * @param dropout       {@code lora_dropout}: dropout on the adapter's input while training
 * @param targetModules PEFT's {@code target_modules}: module names matched as the last component(s)
 *                      of a module path ({@code c_proj} matches {@code attn.c_proj} and {@code mlp.c_proj})
 * @param targetRegex   when not null, PEFT's string form of {@code target_modules}: a regular
 *                      expression that must match the whole module path ({@code transformer.h.0.attn.c_attn})
 * @param rsLora        {@code use_rslora}: scale by α/√r instead of α/r
 * @param baseModel     {@code base_model_name_or_path} (may be empty)
 */
public record LoraConfig(int r, double alpha, double dropout, List<String> targetModules, String targetRegex,
                         boolean rsLora, String baseModel) {

    /** GPT-2's Conv1D modules in a block, as PEFT names them relative to {@code transformer.h.{i}}. */
    public static final List<String> MODULES = List.of("attn.c_attn", "attn.c_proj", "mlp.c_fc", "mlp.c_proj");

    public LoraConfig {
        if (r <= 0) throw new LoupeException("LoRA rank r must be positive, got " + r);
        if (!(dropout >= 0 && dropout < 1)) throw new LoupeException("lora_dropout must be in [0, 1), got " + dropout);
        if (!Double.isFinite(alpha)) throw new LoupeException("lora_alpha must be finite, got " + alpha);
        targetModules = List.copyOf(targetModules);
        if (targetModules.isEmpty() && targetRegex == null) throw new LoupeException("target_modules is empty");
        baseModel = baseModel == null ? "" : baseModel;
    }

    /** A config with a list of target module names (the common case). */
    public static LoraConfig of(int r, double alpha, double dropout, List<String> targetModules, String baseModel) {
        return new LoraConfig(r, alpha, dropout, targetModules, null, false, baseModel);
    }

    /** The factor of B·A: α/r, or α/√r with rsLoRA. */
    public float scale() {
        return (float) (rsLora ? alpha / Math.sqrt(r) : alpha / r);
    }

    /** Whether the module at {@code path} (e.g. {@code h.3.mlp.c_proj}) gets an adapter. */
    public boolean targets(String path) {
        String full = "transformer." + path;
        if (targetRegex != null) return Pattern.matches(targetRegex, full);
        for (String t : targetModules) {
            if (full.equals(t) || full.endsWith("." + t)) return true;
        }
        return false;
    }

    /** The targeted module paths of a model, in layer order ({@code h.{i}.attn.c_attn}, …). */
    public List<String> modulePaths(GptConfig c) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < c.nLayer(); i++) {
            for (String m : MODULES) {
                if (m.startsWith("mlp.") && c.mlp() == GptConfig.Mlp.NONE) continue;
                String path = "h." + i + "." + m;
                if (targets(path)) out.add(path);
            }
        }
        if (out.isEmpty()) {
            throw new LoupeException("target_modules " + (targetRegex != null ? targetRegex : targetModules)
                    + " matches no module of this model (GPT-2's are c_attn, c_proj, c_fc)");
        }
        return out;
    }
}
