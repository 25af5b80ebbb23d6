package dev.loupe.experiments.moe;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.analysis.moe.CoActivation;
import dev.loupe.analysis.moe.LayerDiagnostics;
import dev.loupe.analysis.moe.RoutingDiagnostics;
import dev.loupe.analysis.stats.TopExample;

import java.util.function.IntFunction;

/**
 * The routing diagnostics as JSON: per MoE layer {@code layer, tokens, experts, counts [E],
 * weight_sums [E], load_cv, dead_experts, entropy_nats, max_entropy_nats (ln E), balance, gram [E][E]
 * (RᵀR), cosine [E][E], top_tokens [E][…] ({position, token, weight, context})} and
 * {@code prompt_routing} [T][E] (R over the first window); per pair of consecutive MoE layers
 * {@code from, to, joint [E][E], mutual_information_bits}.
 */
public final class RoutingJson {
    private RoutingJson() {}

    /** The whole report; {@code tokenText} turns an id into its text. */
    public static ObjectNode of(RoutingDiagnostics d, IntFunction<String> tokenText) {
        ObjectNode root = new ObjectMapper().createObjectNode();
        ArrayNode ids = root.putArray("prompt_tokens");
        for (int id : d.promptIds()) ids.add(tokenText.apply(id));
        ArrayNode layers = root.putArray("layers");
        for (int i = 0; i < d.layers().size(); i++) {
            ObjectNode l = layer(layers.addObject(), d.layers().get(i), tokenText);
            grid(l.putArray("prompt_routing"), d.promptRouting().get(i).matrix());
        }
        ArrayNode co = root.putArray("co_activation");
        for (CoActivation c : d.coActivations()) {
            ObjectNode o = co.addObject().put("from", c.from()).put("to", c.to()).put("mutual_information_bits", c.mutualInformationBits());
            ArrayNode j = o.putArray("joint");
            for (long[] row : c.joint()) {
                ArrayNode r = j.addArray();
                for (long v : row) r.add(v);
            }
        }
        return root;
    }

    /** One layer's figures into {@code o} (returned). */
    public static ObjectNode layer(ObjectNode o, LayerDiagnostics d, IntFunction<String> tokenText) {
        o.put("layer", d.layer()).put("tokens", d.tokens()).put("experts", d.experts());
        ArrayNode counts = o.putArray("counts");
        for (long c : d.counts()) counts.add(c);
        ArrayNode sums = o.putArray("weight_sums");
        for (double w : d.weightSums()) sums.add(w);
        o.put("load_cv", d.loadCv());
        ArrayNode dead = o.putArray("dead_experts");
        d.deadExperts().forEach(dead::add);
        o.put("entropy_nats", d.entropy()).put("max_entropy_nats", Math.log(d.experts())).put("balance", d.balance());
        grid(o.putArray("gram"), d.gram());
        grid(o.putArray("cosine"), d.cosine());
        ArrayNode top = o.putArray("top_tokens");
        for (int e = 0; e < d.experts(); e++) {
            ArrayNode list = top.addArray();
            for (TopExample x : d.topTokens(e)) {
                list.addObject().put("position", x.position()).put("token", tokenText.apply(x.tokens()[x.tokens().length - 1]))
                        .put("weight", x.value()).put("context", context(x, tokenText));
            }
        }
        return o;
    }

    /** The context tokens of a top example joined as text (the top token last). */
    static String context(TopExample x, IntFunction<String> tokenText) {
        StringBuilder s = new StringBuilder();
        for (int id : x.tokens()) s.append(tokenText.apply(id));
        return s.toString();
    }

    static ArrayNode grid(ArrayNode into, double[][] g) {
        for (double[] row : g) {
            ArrayNode r = into.addArray();
            for (double v : row) r.add(v);
        }
        return into;
    }
}
