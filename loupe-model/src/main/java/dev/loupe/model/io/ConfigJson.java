package dev.loupe.model.io;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.LoupeException;
import dev.loupe.model.AttentionKind;
import dev.loupe.model.GptConfig;
import dev.loupe.model.GptConfig.Mlp;
import dev.loupe.model.GptConfig.Norm;
import dev.loupe.model.GptConfig.Positional;

import java.util.Iterator;
import java.util.Locale;
import java.util.Set;

/**
 * {@link GptConfig} ↔ a model directory's {@code config.json} (SPEC §2): Hugging Face GPT-2 keys,
 * Loupe-only settings under {@code "loupe"}.
 *
 * <p>GPT-2 keys ({@code vocab_size, n_positions, n_embd, n_layer, n_head, n_inner,
 * activation_function, layer_norm_epsilon, tie_word_embeddings}) default to the values of HF's
 * {@code GPT2Config} when absent, as transformers does. {@code n_inner: null} means 4·n_embd.
 * {@code activation_function} is {@code "gelu_new"} (or its synonym {@code "gelu_pytorch_tanh"}),
 * the tanh approximation of GELU that GPT-2 uses, or {@code "relu"}; the exact erf
 * {@code "gelu"} and anything else are refused, since loading them would silently compute a
 * different function. Loupe keys: {@code norm} pre|post|none, {@code mlp} gelu|relu|swiglu|none,
 * {@code positional} learned|sinusoidal|none, {@code d_mlp}, {@code attn_bias} true|false, {@code attention}
 * softmax|linear|least_squares with {@code feature_map} elu1|identity, {@code normalize},
 * {@code ls_alpha}, {@code ls_alpha_learned} (SPEC §"Variants"); unknown Loupe keys are refused (a
 * newer feature this build cannot run must not be dropped silently).
 *
 * <p>Writing emits {@code "model_type": "gpt2"} and {@code "architectures": ["GPT2LMHeadModel"]}
 * only when the configuration uses GPT-2 features alone (pre-LN, learned positions, GELU or ReLU
 * MLP, attention biases), so that transformers loads it as GPT-2; otherwise these keys are left out, and
 * transformers refuses the directory instead of loading a different network. A model with a
 * variant of SPEC §"Variants" (linear or least-squares attention) says so with
 * {@code "architectures": ["LoupeGPT"]}.
 */
public final class ConfigJson {
    static final ObjectMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)   // "{...} garbage" is not a config
            .enable(SerializationFeature.INDENT_OUTPUT)
            .build();

    private static final Set<String> LOUPE_KEYS = Set.of("norm", "mlp", "positional", "d_mlp", "attn_bias",
            "attention", "feature_map", "normalize", "ls_alpha", "ls_alpha_learned");

    private ConfigJson() {}

    /** Parses {@code config.json} text; {@code source} names the file in error messages. */
    public static GptConfig parse(String json, String source) {
        return fromJson(readObject(JSON, json, source), source);
    }

    /**
     * The JSON object in {@code json}, read with {@code mapper}; a malformed text or anything but an
     * object is one error naming {@code source} (also used for SAELens' {@code cfg.json}).
     */
    public static JsonNode readObject(ObjectMapper mapper, String json, String source) {
        JsonNode root;
        try {
            root = mapper.readTree(json);
        } catch (JacksonException e) {
            throw new LoupeException(source + ": malformed JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) throw new LoupeException(source + ": must hold a JSON object");
        return root;
    }

    static GptConfig fromJson(JsonNode root, String src) {
        JsonNode type = root.get("model_type");
        if (type != null && !type.isNull() && !type.asText().equals("gpt2")) {
            throw new LoupeException(src + ": model_type '" + type.asText()
                    + "' is not a GPT-2-style model (expected \"gpt2\" or no model_type)");
        }
        int vocab = integer(root, "vocab_size", 50257, src);
        int nPos = integer(root, "n_positions", 1024, src);
        int dModel = integer(root, "n_embd", 768, src);
        int nLayer = integer(root, "n_layer", 12, src);
        int nHead = integer(root, "n_head", 12, src);
        Integer nInner = root.hasNonNull("n_inner") ? integer(root, "n_inner", 0, src) : null;
        String act = text(root, "activation_function", "gelu_new", src);
        Mlp actMlp = switch (act) {
            case "gelu_new", "gelu_pytorch_tanh" -> Mlp.GELU;
            case "relu" -> Mlp.RELU;
            case "gelu" -> throw new LoupeException(src + ": activation_function \"gelu\" is the exact erf GELU;"
                    + " Loupe computes GPT-2's tanh approximation \"gelu_new\"");
            default -> throw new LoupeException(src + ": activation_function \"" + act
                    + "\" is not supported (expected \"gelu_new\" or \"relu\")");
        };
        float eps = number(root, "layer_norm_epsilon", 1e-5, src);
        boolean tied = bool(root, "tie_word_embeddings", true, src);

        JsonNode loupe = root.get("loupe");
        if (loupe != null && !loupe.isNull() && !loupe.isObject()) {
            throw new LoupeException(src + ": \"loupe\" must be an object");
        }
        if (loupe == null || loupe.isNull()) loupe = JSON.createObjectNode();
        for (Iterator<String> it = loupe.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!LOUPE_KEYS.contains(k)) {
                throw new LoupeException(src + ": unknown setting loupe." + k + " (known: norm, mlp, positional,"
                        + " d_mlp, attn_bias, attention, feature_map, normalize, ls_alpha, ls_alpha_learned); written by a newer Loupe?");
            }
        }
        Norm norm = choice(loupe, "norm", Norm.class, Norm.PRE, src);
        Positional pos = choice(loupe, "positional", Positional.class, Positional.LEARNED, src);
        Mlp mlp = choice(loupe, "mlp", Mlp.class, actMlp, src);
        if ((mlp == Mlp.GELU || mlp == Mlp.RELU) && mlp != actMlp) {
            throw new LoupeException(src + ": loupe.mlp \"" + mlp.name().toLowerCase(Locale.ROOT)
                    + "\" contradicts activation_function \"" + act + "\"");
        }
        Integer dMlpLoupe = loupe.has("d_mlp") ? integer(loupe, "d_mlp", 0, src + " loupe") : null;
        if (dMlpLoupe != null && nInner != null && !dMlpLoupe.equals(nInner)) {
            throw new LoupeException(src + ": loupe.d_mlp " + dMlpLoupe + " contradicts n_inner " + nInner);
        }
        boolean attnBias = bool(loupe, "attn_bias", true, src + ": loupe");
        try {
            int dMlp = dMlpLoupe != null ? dMlpLoupe : nInner != null ? nInner : GptConfig.mlpWidth(dModel);
            return new GptConfig(vocab, nPos, dModel, nLayer, nHead, dMlp, eps, tied, norm, mlp, pos, attnBias)
                    .withAttention(attentionKind(loupe, src));
        } catch (LoupeException e) {
            throw new LoupeException(src + ": " + e.getMessage(), e);
        }
    }

    /** The attention settings of the {@code "loupe"} object (SPEC §"Variants"); softmax when absent. */
    private static AttentionKind attentionKind(JsonNode loupe, String src) {
        AttentionKind.Kind kind = choice(loupe, "attention", AttentionKind.Kind.class, AttentionKind.Kind.SOFTMAX, src);
        AttentionKind.FeatureMap phi = choice(loupe, "feature_map", AttentionKind.FeatureMap.class, AttentionKind.FeatureMap.ELU1, src);
        boolean normalize = bool(loupe, "normalize", true, src + ": loupe");
        float alpha = number(loupe, "ls_alpha", 1.0, src + ": loupe");
        boolean learned = bool(loupe, "ls_alpha_learned", false, src + ": loupe");
        return new AttentionKind(kind, phi, normalize, alpha, learned);
    }

    /** Writes the attention settings that differ from GPT-2's softmax. */
    private static void putAttention(ObjectNode loupe, AttentionKind a) {
        if (a.isSoftmax()) return;
        loupe.put("attention", a.kindName());
        if (a.kind() == AttentionKind.Kind.LINEAR) {
            loupe.put("feature_map", a.featureMap().name().toLowerCase(Locale.ROOT));
            loupe.put("normalize", a.normalize());
        } else {
            loupe.put("ls_alpha", Double.parseDouble(Float.toString(a.lsAlpha())));
            loupe.put("ls_alpha_learned", a.lsAlphaLearned());
        }
    }

    /** Whether {@code c} uses a variant of SPEC §"Variants", so that it is a LoupeGPT, not a GPT-2 model. */
    public static boolean usesVariant(GptConfig c) {
        return !c.attention().isSoftmax();
    }

    /** The {@code config.json} text for {@code c} (pretty-printed). */
    public static String format(GptConfig c) {
        ObjectNode root = JSON.createObjectNode();
        boolean gpt2 = isGpt2Compatible(c);
        if (gpt2) {
            root.putArray("architectures").add("GPT2LMHeadModel");
            root.put("model_type", "gpt2");
        } else if (usesVariant(c)) {
            root.putArray("architectures").add("LoupeGPT");
        }
        root.put("vocab_size", c.vocabSize());
        root.put("n_positions", c.nPositions());
        root.put("n_ctx", c.nPositions());
        root.put("n_embd", c.dModel());
        root.put("n_layer", c.nLayer());
        root.put("n_head", c.nHead());
        if (c.mlp() == Mlp.NONE) root.putNull("n_inner");
        else root.put("n_inner", c.dMlp());
        root.put("activation_function", c.mlp() == Mlp.RELU ? "relu" : "gelu_new");
        // the float's shortest decimal form: 1e-5f is written as 1.0E-5, not 9.999999747378752E-6
        root.put("layer_norm_epsilon", Double.parseDouble(Float.toString(c.layerNormEps())));
        root.put("tie_word_embeddings", c.tied());
        if (gpt2) {
            // GPT2Config's dropout defaults are 0.1; a Loupe model is trained and evaluated without dropout
            root.put("resid_pdrop", 0.0);
            root.put("embd_pdrop", 0.0);
            root.put("attn_pdrop", 0.0);
        }
        ObjectNode loupe = root.putObject("loupe");
        loupe.put("norm", c.norm().name().toLowerCase(Locale.ROOT));
        loupe.put("mlp", c.mlp().name().toLowerCase(Locale.ROOT));
        loupe.put("positional", c.positional().name().toLowerCase(Locale.ROOT));
        loupe.put("d_mlp", c.dMlp());
        loupe.put("attn_bias", c.attnBias());
        putAttention(loupe, c.attention());
        try {
            return JSON.writeValueAsString(root) + "\n";
        } catch (JacksonException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Whether transformers' GPT2LMHeadModel computes exactly this network. */
    public static boolean isGpt2Compatible(GptConfig c) {
        return c.norm() == Norm.PRE && c.positional() == Positional.LEARNED && c.attnBias()
                && (c.mlp() == Mlp.GELU || c.mlp() == Mlp.RELU) && !usesVariant(c);
    }

    private static int integer(JsonNode o, String key, int dflt, String src) {
        JsonNode v = o.get(key);
        if (v == null || v.isNull()) return dflt;
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw new LoupeException(src + ": " + key + " must be an integer, got " + v);
        }
        return v.asInt();
    }

    private static float number(JsonNode o, String key, double dflt, String src) {
        JsonNode v = o.get(key);
        if (v == null || v.isNull()) return (float) dflt;
        if (!v.isNumber()) throw new LoupeException(src + ": " + key + " must be a number, got " + v);
        return (float) v.asDouble();
    }

    private static boolean bool(JsonNode o, String key, boolean dflt, String src) {
        JsonNode v = o.get(key);
        if (v == null || v.isNull()) return dflt;
        if (!v.isBoolean()) throw new LoupeException(src + ": " + key + " must be true or false, got " + v);
        return v.asBoolean();
    }

    private static String text(JsonNode o, String key, String dflt, String src) {
        JsonNode v = o.get(key);
        if (v == null || v.isNull()) return dflt;
        if (!v.isTextual()) throw new LoupeException(src + ": " + key + " must be a string, got " + v);
        return v.asText();
    }

    private static <E extends Enum<E>> E choice(JsonNode o, String key, Class<E> type, E dflt, String src) {
        String s = text(o, key, null, src + ": loupe");
        if (s == null) return dflt;
        for (E e : type.getEnumConstants()) if (e.name().equalsIgnoreCase(s)) return e;
        StringBuilder known = new StringBuilder();
        for (E e : type.getEnumConstants()) known.append(known.isEmpty() ? "" : "|").append(e.name().toLowerCase(Locale.ROOT));
        throw new LoupeException(src + ": loupe." + key + " \"" + s + "\" is not one of " + known);
    }
}
