package dev.loupe.cli.circuits;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.analysis.circuits.Composition;
import dev.loupe.analysis.circuits.CompositionBaseline;
import dev.loupe.analysis.circuits.CompositionScores;
import dev.loupe.analysis.circuits.TokenPair;
import dev.loupe.model.GptConfig;

import java.util.List;

/**
 * The report as one JSON object:
 * <pre>
 * {"model": {"layers", "heads", "d_model", "d_head", "vocab"},
 *  "heads": [{"layer", "head", "ov_copying_score", "qk_copying_score",
 *             "ov_top_pairs": [{"source", "source_text", "out", "out_text", "value"}],          (when scanned)
 *             "qk_top_pairs": [{"destination", "destination_text", "source", "source_text", "value"}]}],
 *  "composition": [{"from": [l1, h1], "to": [l2, h2], "q", "k", "v"}],
 *  "baseline": {"q", "k", "v"}, "baseline_std": {"q", "k", "v"}, "baseline_draws": n}
 * </pre>
 * Token texts appear only with a tokenizer; a score that is undefined (a zero matrix) is null.
 */
final class CircuitsJson {
    private static final ObjectMapper JSON = new ObjectMapper();

    private CircuitsJson() {}

    static String render(CircuitsReport r) {
        ObjectNode root = JSON.createObjectNode();
        GptConfig cfg = r.circuits().model().config();
        root.putObject("model").put("layers", cfg.nLayer()).put("heads", cfg.nHead()).put("d_model", cfg.dModel())
                .put("d_head", r.circuits().dHead()).put("vocab", cfg.vocabSize());
        ArrayNode heads = root.putArray("heads");
        for (CircuitsReport.Head h : r.heads()) {
            ObjectNode o = heads.addObject().put("layer", h.id().layer()).put("head", h.id().head());
            number(o, "ov_copying_score", h.ovCopying());
            number(o, "qk_copying_score", h.qkMatching());
            if (r.pairsScanned()) {
                pairs(o.putArray("ov_top_pairs"), h.ovPairs(), "source", "out");
                pairs(o.putArray("qk_top_pairs"), h.qkPairs(), "destination", "source");
            }
        }
        ArrayNode comp = root.putArray("composition");
        for (CompositionScores.Pair p : r.compositions()) {
            ObjectNode o = comp.addObject();
            o.putArray("from").add(p.from().layer()).add(p.from().head());
            o.putArray("to").add(p.to().layer()).add(p.to().head());
            for (Composition k : Composition.values()) number(o, k.key(), p.get(k));
        }
        ObjectNode mean = root.putObject("baseline"), std = root.putObject("baseline_std");
        for (Composition k : Composition.values()) {
            CompositionBaseline b = r.baselines().get(k);
            number(mean, k.key(), b.mean());
            number(std, k.key(), b.std());
        }
        root.put("baseline_draws", r.baselines().get(Composition.Q).draws());
        return root.toPrettyString();
    }

    private static void pairs(ArrayNode out, List<TokenPair> pairs, String rowName, String columnName) {
        for (TokenPair p : pairs) {
            ObjectNode o = out.addObject().put(rowName, p.rowToken());
            if (p.rowText() != null) o.put(rowName + "_text", p.rowText());
            o.put(columnName, p.columnToken());
            if (p.columnText() != null) o.put(columnName + "_text", p.columnText());
            number(o, "value", p.value());
        }
    }

    private static void number(ObjectNode o, String key, double v) {
        if (Double.isFinite(v)) o.put(key, v);
        else o.putNull(key);
    }
}
