package dev.loupe.model;

import dev.loupe.LoupeException;
import dev.loupe.tensor.Tensor;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Activations copied out of a forward pass, by hook name (TransformerLens's {@code ActivationCache}).
 * It is itself a {@link Hook}: attach it with a names filter and only the activations that pass the
 * filter are copied (out of the model's reusable buffers); nothing else is kept. Use
 * {@link Gpt#runWithCache} for the usual one-liner. A later pass overwrites the entries it hooks.
 */
public final class ActivationCache implements Hook {
    private final Map<String, Tensor> byName = new LinkedHashMap<>();

    @Override
    public Tensor apply(Tensor activation, String name) {
        byName.put(name, activation.copy());
        return activation;
    }

    /** The cached activation, shape as in {@link HookPoints#table}; unknown names are an error listing what is cached. */
    public Tensor get(String name) {
        Tensor t = byName.get(name);
        if (t == null) {
            throw new LoupeException("activation '" + name + "' is not in the cache (cached: "
                    + (byName.isEmpty() ? "nothing" : String.join(", ", byName.keySet())) + ")");
        }
        return t;
    }

    /**
     * TransformerLens's short form {@code cache["pattern", 1]}: the activation {@code kind} of block
     * {@code layer}, with the names of {@code utils.get_act_name}: q, k, v, z, result, attn_scores,
     * pattern → {@code blocks.L.attn.hook_*}; pre, post → {@code blocks.L.mlp.hook_*}; resid_pre,
     * resid_mid, resid_post, attn_out, mlp_out → {@code blocks.L.hook_*}; a dotted kind such as
     * "ln1.hook_scale" is used as it is.
     */
    public Tensor get(String kind, int layer) {
        return get(HookPoints.name(layer, longName(kind)));
    }

    private static String longName(String kind) {
        if (kind.contains(".")) return kind;
        return switch (kind) {
            case "q", "k", "v", "z", "result", "attn_scores", "pattern" -> "attn.hook_" + kind;
            case "pre", "post" -> "mlp.hook_" + kind;
            default -> kind.startsWith("hook_") ? kind : "hook_" + kind;
        };
    }

    /** Whether {@code name} was cached. */
    public boolean has(String name) {
        return byName.containsKey(name);
    }

    /** The cached names, in the order the forward pass reached them. */
    public Set<String> names() {
        return Collections.unmodifiableSet(byName.keySet());
    }

    /** Bytes held by the cached tensors (4 per float). */
    public long bytes() {
        long n = 0;
        for (Tensor t : byName.values()) n += 4L * t.size();
        return n;
    }

    /** A names filter: every hook point whose name ends with one of {@code suffixes}, e.g. "hook_z". */
    public static Predicate<String> endingWith(String... suffixes) {
        return name -> {
            for (String s : suffixes) if (name.endsWith(s)) return true;
            return false;
        };
    }
}
