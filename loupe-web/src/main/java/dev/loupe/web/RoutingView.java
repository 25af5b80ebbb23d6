package dev.loupe.web;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.analysis.moe.LayerDiagnostics;
import dev.loupe.analysis.moe.RoutingDiagnostics;

/**
 * The explorer's Routing view of a mixture-of-experts model ({@code GET /api/runs/{id}/routing}): per
 * MoE layer the routing matrix R [T, E] over the prompt, RᵀR [E, E] and its cosine form, the slots per
 * expert, the load's coefficient of variation, dead experts, router entropy and balance. A dense model
 * answers {@code {"enabled": false}}.
 */
final class RoutingView {
    private RoutingView() {}

    static ObjectNode json(ObjectMapper om, ExplorerModel model, PromptRun run) {
        ObjectNode o = om.createObjectNode();
        boolean moe = false;
        for (int l = 0; l < model.config().nLayer(); l++) moe |= model.config().isMoeLayer(l);
        o.put("enabled", moe);
        if (!moe) return o;
        RoutingDiagnostics d = model.exclusive(() -> RoutingDiagnostics.over(model.gpt(), run.ids, run.ids.length,
                new RoutingDiagnostics.Settings(0, 0), RoutingDiagnostics.Steps.NONE));
        o.put("experts", model.config().moe().experts()).put("top_k", model.config().moe().topK());
        ArrayNode layers = o.putArray("layers");
        for (int i = 0; i < d.layers().size(); i++) {
            LayerDiagnostics l = d.layers().get(i);
            ObjectNode j = layers.addObject().put("layer", l.layer()).put("load_cv", l.loadCv()).put("entropy_nats", l.entropy())
                    .put("balance", l.balance());
            ArrayNode counts = j.putArray("counts");
            for (long c : l.counts()) counts.add(c);
            ArrayNode dead = j.putArray("dead_experts");
            l.deadExperts().forEach(dead::add);
            grid(j.putArray("routing"), d.promptRouting().get(i).matrix());
            grid(j.putArray("gram"), l.gram());
            grid(j.putArray("cosine"), l.cosine());
        }
        return o;
    }

    private static void grid(ArrayNode into, double[][] g) {
        for (double[] row : g) {
            ArrayNode r = into.addArray();
            for (double v : row) r.add((float) v);
        }
    }
}
