package dev.loupe.spark;

import dev.loupe.LoupeException;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A grid of small-model configurations, e.g. {@code heads=1,2,4,8 d_model=64 layers=2 seed=1,2,3}:
 * every combination of the values, in the order written (the last key varies fastest). Keys:
 * {@code heads}, {@code d_model}, {@code layers}, {@code d_mlp} (default 4 × d_model), {@code seed},
 * {@code lr}, {@code steps}; keys not given keep the sweep's defaults.
 *
 * @param keys   the keys in the order given
 * @param values each key's values, as written
 */
public record SweepGrid(List<String> keys, Map<String, List<String>> values) implements Serializable {
    /** The keys a grid may set. */
    public static final List<String> KEYS = List.of("heads", "d_model", "layers", "d_mlp", "seed", "lr", "steps");

    /** Parses {@code key=v1,v2,...} items; an unknown key, a repeated key or a non-number is an error. */
    public static SweepGrid parse(List<String> items) {
        Map<String, List<String>> values = new LinkedHashMap<>();
        for (String item : items) {
            int eq = item.indexOf('=');
            String key = eq < 0 ? item : item.substring(0, eq);
            if (eq < 0 || !KEYS.contains(key)) {
                throw new LoupeException("--grid item '" + item + "' is not KEY=V1,V2,... with KEY one of " + String.join(", ", KEYS));
            }
            if (values.containsKey(key)) throw new LoupeException("--grid sets " + key + " twice");
            List<String> vs = new ArrayList<>();
            for (String v : item.substring(eq + 1).split(",")) {
                String t = v.strip();
                try {
                    if (key.equals("lr")) Double.parseDouble(t);
                    else if (Long.parseLong(t) < (key.equals("seed") ? 0 : 1)) throw new NumberFormatException();
                } catch (NumberFormatException e) {
                    throw new LoupeException("--grid " + key + " value '" + t + "' is not a " + (key.equals("lr") ? "number" : "positive integer"));
                }
                vs.add(t);
            }
            values.put(key, List.copyOf(vs));
        }
        if (values.isEmpty()) throw new LoupeException("--grid is empty; e.g. --grid heads=1,2,4 seed=1,2");
        return new SweepGrid(List.copyOf(values.keySet()), values);
    }

    /** Every combination, as key -> value maps in grid order. */
    public List<Map<String, String>> configurations() {
        List<Map<String, String>> out = new ArrayList<>();
        out.add(new LinkedHashMap<>());
        for (String key : keys) {
            List<Map<String, String>> next = new ArrayList<>();
            for (Map<String, String> partial : out) {
                for (String v : values.get(key)) {
                    Map<String, String> m = new LinkedHashMap<>(partial);
                    m.put(key, v);
                    next.add(m);
                }
            }
            out = next;
        }
        return out;
    }

    /** The swept variable for plots: the first key other than seed with several values, or the first key. */
    public String sweptKey() {
        for (String k : keys) if (!k.equals("seed") && values.get(k).size() > 1) return k;
        return keys.getFirst();
    }

    /** A directory name for one configuration: {@code heads=4,seed=2}. */
    public static String name(Map<String, String> configuration) {
        StringBuilder sb = new StringBuilder();
        configuration.forEach((k, v) -> sb.append(sb.isEmpty() ? "" : ",").append(k).append('=').append(v));
        return sb.toString();
    }
}
