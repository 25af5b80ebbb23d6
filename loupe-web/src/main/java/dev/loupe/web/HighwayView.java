package dev.loupe.web;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.analysis.decomposition.HighwayPaths;
import dev.loupe.model.HighwaySettings;

/**
 * The explorer's Highway view of one run ({@code GET /api/runs/{id}/highway}): the gates of a
 * highway-gated model (SPEC §"Variants") on the prompt — per sublayer (rows "L0 attn", "L0 mlp", …)
 * and position, the mean gate T (which tokens asked for transformation), the local transform share
 * and the share of the final stream that arrived through each sublayer ({@link HighwayPaths}).
 * A model without gates answers 400 with the reason.
 */
final class HighwayView {
    private HighwayView() {}

    /** {@code {"mode", "gate", "rows": [S], "mean_gate": [S][T], "transform_share": [S][T], "final_share": [S][T], "embed_final_share": [T]}}. */
    static ObjectNode json(ObjectMapper om, ExplorerModel model, PromptRun run) {
        HighwaySettings hw = model.config().highway();
        if (hw == null) throw new HttpError(400, "this model has no highway gates (config.json has no loupe.highway)");
        HighwayPaths p = model.exclusive(() -> HighwayPaths.compute(model.gpt(), run.ids));
        ObjectNode o = om.createObjectNode();
        o.put("mode", HighwaySettings.configName(hw.mode()));
        o.put("gate", HighwaySettings.configName(hw.gate()));
        ArrayNode rows = o.putArray("rows");
        for (HighwayPaths.Sublayer s : p.sublayers()) rows.add(s.label());
        grid(o.putArray("mean_gate"), p.meanGate());
        grid(o.putArray("transform_share"), p.transformShare());
        grid(o.putArray("final_share"), p.finalShare());
        ArrayNode e = o.putArray("embed_final_share");
        for (double v : p.embedFinalShare()) e.add(v);
        return o;
    }

    /** The model's highway settings for {@code /api/model}, or null. */
    static ObjectNode settings(ObjectMapper om, ExplorerModel model) {
        HighwaySettings hw = model.config().highway();
        if (hw == null) return null;
        ObjectNode o = om.createObjectNode();
        o.put("mode", HighwaySettings.configName(hw.mode())).put("gate", HighwaySettings.configName(hw.gate()));
        ArrayNode subs = o.putArray("sublayers");
        hw.sublayers().stream().sorted().forEach(s -> subs.add(HighwaySettings.configName(s)));
        return o;
    }

    private static void grid(ArrayNode into, double[][] g) {
        for (double[] row : g) {
            ArrayNode r = into.addArray();
            for (double v : row) r.add((float) v);
        }
    }
}
