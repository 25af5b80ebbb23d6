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
import dev.loupe.model.HighwaySettings;
import dev.loupe.model.MoeSettings;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

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
 * {@code ls_alpha}, {@code ls_alpha_learned}, and the objects {@code moe} and {@code highway} (SPEC §"Variants"); unknown Loupe keys are refused (a
 * newer feature this build cannot run must not be dropped silently).
 *
 * <p>Writing emits {@code "model_type": "gpt2"} and {@code "architectures": ["GPT2LMHeadModel"]}
 * only when the configuration uses GPT-2 features alone (pre-LN, learned positions, GELU or ReLU
 * MLP, attention biases), so that transformers loads it as GPT-2; otherwise these keys are left out, and
 * transformers refuses the directory instead of loading a different network. A model with a
 * variant of SPEC §"Variants" (linear or least-squares attention, mixture of experts, highway gates) says so with
 * {@code "architectures": ["LoupeGPT"]}.
 */
public final class ConfigJson {
    static final ObjectMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)   // "{...} garbage" is not a config
            .enable(SerializationFeature.INDENT_OUTPUT)
            .build();

    private static final Set<String> LOUPE_KEYS = Set.of("norm", "mlp", "positional", "d_mlp", "attn_bias",
            "attention", "feature_map", "normalize", "ls_alpha", "ls_alpha_learned", "moe", "highway");
    private static final Set<String> MOE_KEYS = Set.of("experts", "top_k", "d_expert", "router", "aux_loss_coef",
            "z_loss_coef", "capacity_factor", "layers");
    private static final Set<String> HIGHWAY_KEYS = Set.of("sublayers", "gate", "mode", "gate_bias_init");

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
                        + " d_mlp, attn_bias, attention, feature_map, normalize, ls_alpha, ls_alpha_learned, moe, highway);"
                        + " written by a newer Loupe?");
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
            return new GptConfig(vocab, nPos, dModel, nLayer, nHead, dMlp, eps, tied, norm, mlp, pos, attnBias,
                    attentionKind(loupe, src), moe(loupe.get("moe"), dMlp, src), highway(loupe.get("highway"), src));
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

    /** The {@code loupe.moe} object (SPEC §"Variants"), or null when absent; d_expert defaults to d_mlp. */
    private static MoeSettings moe(JsonNode o, int dMlp, String src) {
        if (o == null || o.isNull()) return null;
        String where = src + ": loupe.moe";
        requireObject(o, MOE_KEYS, where);
        if (!o.hasNonNull("experts")) throw new LoupeException(where + ": experts (the number of experts) is required");
        int experts = integer(o, "experts", 0, where);
        int topK = integer(o, "top_k", Math.min(2, experts), where);
        int dExpert = integer(o, "d_expert", dMlp, where);
        MoeSettings.Router router = enumValue(o, "router", MoeSettings.Router.class, MoeSettings.Router.SOFTMAX_TOPK, where);
        float aux = number(o, "aux_loss_coef", 0.01, where);
        float z = number(o, "z_loss_coef", 0.001, where);
        Float capacity = o.hasNonNull("capacity_factor") ? number(o, "capacity_factor", 0, where) : null;
        List<Integer> layers = null;
        JsonNode l = o.get("layers");
        if (l != null && !l.isNull()) {
            if (!l.isArray()) throw new LoupeException(where + ": layers must be null or a list of layer indices, got " + l);
            layers = new ArrayList<>();
            for (JsonNode i : l) {
                if (!i.isIntegralNumber() || !i.canConvertToInt()) {
                    throw new LoupeException(where + ": layers must hold integers, got " + i);
                }
                layers.add(i.asInt());
            }
        }
        return new MoeSettings(experts, topK, dExpert, router, aux, z, capacity, layers);
    }

    /** The {@code loupe.highway} object (SPEC §"Variants"), or null when absent. */
    private static HighwaySettings highway(JsonNode o, String src) {
        if (o == null || o.isNull()) return null;
        String where = src + ": loupe.highway";
        requireObject(o, HIGHWAY_KEYS, where);
        EnumSet<HighwaySettings.Sublayer> sublayers = EnumSet.allOf(HighwaySettings.Sublayer.class);
        JsonNode s = o.get("sublayers");
        if (s != null && !s.isNull()) {
            if (!s.isArray()) throw new LoupeException(where + ": sublayers must be a list such as [\"attn\", \"mlp\"], got " + s);
            sublayers = EnumSet.noneOf(HighwaySettings.Sublayer.class);
            for (JsonNode n : s) {
                if (!n.isTextual()) throw new LoupeException(where + ": sublayers must hold \"attn\" or \"mlp\", got " + n);
                sublayers.add(parseEnum(n.asText(), HighwaySettings.Sublayer.class, where + ".sublayers"));
            }
        }
        HighwaySettings.Gate gate = enumValue(o, "gate", HighwaySettings.Gate.class, HighwaySettings.Gate.VECTOR, where);
        HighwaySettings.Mode mode = enumValue(o, "mode", HighwaySettings.Mode.class, HighwaySettings.Mode.HIGHWAY, where);
        float bias = number(o, "gate_bias_init", -2.0, where);
        return new HighwaySettings(sublayers, gate, mode, bias);
    }

    private static void requireObject(JsonNode o, Set<String> known, String where) {
        if (!o.isObject()) throw new LoupeException(where + " must be an object or null, got " + o);
        for (Iterator<String> it = o.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!known.contains(k)) {
                throw new LoupeException(where + ": unknown key " + k + " (known: " + String.join(", ", new TreeSet<>(known)) + ")");
            }
        }
    }

    private static void putMoe(ObjectNode loupe, MoeSettings m) {
        if (m == null) return;
        ObjectNode o = loupe.putObject("moe");
        o.put("experts", m.experts());
        o.put("top_k", m.topK());
        o.put("d_expert", m.dExpert());
        o.put("router", m.router().configName());
        o.put("aux_loss_coef", Double.parseDouble(Float.toString(m.auxLossCoef())));
        o.put("z_loss_coef", Double.parseDouble(Float.toString(m.zLossCoef())));
        if (m.capacityFactor() == null) o.putNull("capacity_factor");
        else o.put("capacity_factor", Double.parseDouble(Float.toString(m.capacityFactor())));
        if (m.layers() == null) o.putNull("layers");
        else m.layers().forEach(o.putArray("layers")::add);
    }

    private static void putHighway(ObjectNode loupe, HighwaySettings h) {
        if (h == null) return;
        ObjectNode o = loupe.putObject("highway");
        var list = o.putArray("sublayers");
        for (HighwaySettings.Sublayer s : HighwaySettings.Sublayer.values()) if (h.gates(s)) list.add(HighwaySettings.configName(s));
        o.put("gate", HighwaySettings.configName(h.gate()));
        o.put("mode", HighwaySettings.configName(h.mode()));
        o.put("gate_bias_init", Double.parseDouble(Float.toString(h.gateBiasInit())));
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
        return !c.attention().isSoftmax() || c.moe() != null || c.highway() != null;
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
        putMoe(loupe, c.moe());
        putHighway(loupe, c.highway());
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
        return enumValue(o, key, type, dflt, src + ": loupe");
    }

    /** The enum constant spelled (case-insensitively) at {@code o.key}, {@code dflt} when absent. */
    private static <E extends Enum<E>> E enumValue(JsonNode o, String key, Class<E> type, E dflt, String where) {
        String s = text(o, key, null, where);
        return s == null ? dflt : parseEnum(s, type, where + "." + key);
    }

    private static <E extends Enum<E>> E parseEnum(String s, Class<E> type, String what) {
        for (E e : type.getEnumConstants()) if (e.name().equalsIgnoreCase(s)) return e;
        StringBuilder known = new StringBuilder();
        for (E e : type.getEnumConstants()) known.append(known.isEmpty() ? "" : "|").append(e.name().toLowerCase(Locale.ROOT));
        throw new LoupeException(what + " \"" + s + "\" is not one of " + known);
    }
}
