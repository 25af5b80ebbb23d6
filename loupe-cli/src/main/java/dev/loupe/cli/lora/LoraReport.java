package dev.loupe.cli.lora;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.analysis.lora.AdapterReading;
import dev.loupe.model.lora.LoraConfig;

import java.util.List;
import java.util.function.IntFunction;

import static dev.loupe.experiments.report.AttentionHeatmap.escape;

/** {@link AdapterReading.Result} rendered as JSON and as one self-contained HTML page. */
final class LoraReport {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private LoraReport() {}

    static String json(LoraConfig c, AdapterReading.Result r, IntFunction<String> token) {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode cfg = root.putObject("adapter");
        cfg.put("r", c.r());
        cfg.put("lora_alpha", c.alpha());
        cfg.put("scale", c.scale());
        ArrayNode modules = root.putArray("modules");
        for (AdapterReading.ModuleUpdate m : r.modules()) {
            ObjectNode n = modules.addObject();
            n.put("module", m.module());
            ArrayNode sv = n.putArray("singular_values");
            for (double s : m.singularValues()) sv.add(s);
            n.put("effective_rank", m.effectiveRank());
            n.put("norm", m.norm());
            n.put("relative_norm", m.relativeNorm());
        }
        ArrayNode heads = root.putArray("heads");
        for (AdapterReading.HeadChange h : r.heads()) {
            ObjectNode n = heads.addObject();
            n.put("layer", h.layer());
            n.put("head", h.head());
            n.put("ov_change", h.ovChange());
            n.put("ov_relative", h.ovRelative());
            n.put("qk_change", h.qkChange());
            n.put("qk_relative", h.qkRelative());
            n.put("copying_before", h.copyingBefore());
            n.put("copying_after", h.copyingAfter());
        }
        tokens(root.putArray("raised"), r.raised(), token);
        tokens(root.putArray("lowered"), r.lowered(), token);
        return root.toPrettyString();
    }

    private static void tokens(ArrayNode a, List<AdapterReading.TokenShift> list, IntFunction<String> token) {
        for (AdapterReading.TokenShift t : list) {
            ObjectNode n = a.addObject();
            n.put("token", t.token());
            n.put("text", token.apply(t.token()));
            n.put("logit_change", t.change());
        }
    }

    static String html(String title, LoraConfig c, AdapterReading.Result r, IntFunction<String> token, int topHeads) {
        StringBuilder h = new StringBuilder();
        h.append("<!doctype html><html><head><meta charset=\"utf-8\"><title>").append(escape(title)).append("</title><style>")
                .append("body{font:14px system-ui,sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse}")
                .append("td,th{padding:2px 8px;text-align:right;border-bottom:1px solid #ddd}td.l,th.l{text-align:left}")
                .append(".bar{display:inline-block;height:10px;background:#4a7bd0;margin-right:1px;vertical-align:middle}")
                .append(".neg{background:#d0574a}</style></head><body>");
        h.append("<h1>").append(escape(title)).append("</h1><p>LoRA r = ").append(c.r()).append(", α = ").append(c.alpha())
                .append(", ΔW = ").append(String.format("%.4g", c.scale())).append("·(B·A)ᵀ on ").append(r.modules().size())
                .append(" modules.</p>");
        h.append("<h2>Updates per module</h2><p>Singular values of ΔW (bars, relative to the largest in the table); effective rank ")
                .append("exp(−Σ p ln p), p = σ/Σσ; ‖ΔW‖/‖W‖.</p><table><tr><th class=l>module</th><th class=l>singular values</th>")
                .append("<th>effective rank</th><th>‖ΔW‖_F</th><th>‖ΔW‖/‖W‖</th></tr>");
        double max = r.modules().stream().mapToDouble(m -> m.singularValues().length == 0 ? 0 : m.singularValues()[0]).max().orElse(1);
        for (AdapterReading.ModuleUpdate m : r.modules()) {
            h.append("<tr><td class=l>").append(escape(m.module())).append("</td><td class=l>");
            for (double s : m.singularValues()) {
                h.append(String.format("<span class=bar title=\"%.4g\" style=\"width:%dpx\"></span>", s, (int) Math.round(80 * s / max)));
            }
            h.append(String.format("</td><td>%.2f</td><td>%.4g</td><td>%.3g</td></tr>", m.effectiveRank(), m.norm(), m.relativeNorm()));
        }
        h.append("</table><h2>Heads whose circuits changed most</h2><p>‖W′_OV − W_OV‖_F and ‖W′_QK − W_QK‖_F (relative to the ")
                .append("base head's norm), and the full-OV copying score before → after.</p><table><tr><th class=l>head</th>")
                .append("<th>ΔOV</th><th>ΔOV rel.</th><th>ΔQK</th><th>ΔQK rel.</th><th>copying before</th><th>after</th></tr>");
        for (AdapterReading.HeadChange x : r.heads().subList(0, Math.min(topHeads, r.heads().size()))) {
            h.append(String.format("<tr><td class=l>L%dH%d</td><td>%.4g</td><td>%.3g</td><td>%.4g</td><td>%.3g</td><td>%.3f</td><td>%.3f</td></tr>",
                    x.layer(), x.head(), x.ovChange(), x.ovRelative(), x.qkChange(), x.qkRelative(), x.copyingBefore(), x.copyingAfter()));
        }
        h.append("</table><h2>Tokens whose logits the update moves most</h2><p>Mean change of the centred logit over the probe text.</p>")
                .append("<table><tr><th class=l>raised</th><th>Δlogit</th><th class=l>lowered</th><th>Δlogit</th></tr>");
        for (int i = 0; i < Math.max(r.raised().size(), r.lowered().size()); i++) {
            h.append("<tr>");
            cell(h, i < r.raised().size() ? r.raised().get(i) : null, token);
            cell(h, i < r.lowered().size() ? r.lowered().get(i) : null, token);
            h.append("</tr>");
        }
        return h.append("</table></body></html>\n").toString();
    }

    private static void cell(StringBuilder h, AdapterReading.TokenShift t, IntFunction<String> token) {
        if (t == null) {
            h.append("<td></td><td></td>");
            return;
        }
        h.append("<td class=l><code>").append(escape(token.apply(t.token()))).append("</code></td>")
                .append(String.format("<td>%+.3f</td>", t.change()));
    }
}
