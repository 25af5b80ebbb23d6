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
 *  "baseline": {"q", "k", "v"}, "baseline_std": {"q", "k", "v"}, "baseline_draws": n, "fold_ln": bool,
 *  "bigrams": [{"token", "next", "logit"}],                                   (0-layer models, when scanned)
 *  "skip_trigrams": [{"layer", "head", "source", "destination", "out", "qk", "ov"}],   (1-layer models, when scanned)
 *  "path_expansion": {"tokens": [..], "terms": [{"path", "kind", "norm"}], "ln_final_bias_norm", "max_sum_error"}}  (--prompt)
 * </pre>
 * Token texts appear only with a tokenizer; a score that is undefined (a zero matrix) is null.
 */
final class CircuitsJson {
    private static final ObjectMapper JSON = new ObjectMapper();

    private CircuitsJson() {}

    static String render(CircuitsReport r, CircuitsReadings x, boolean folded, java.util.function.IntFunction<String> text) {
        ObjectNode root = JSON.createObjectNode();
        root.put("fold_ln", folded);
        GptConfig cfg = r.circuits().model().config();
        root.putObject("model").put("layers", cfg.nLayer()).put("heads", cfg.nHead()).put("d_model", cfg.dModel())
                .put("d_head", r.circuits().dHead()).put("vocab", cfg.vocabSize()).put("attention", cfg.attention().kindName());
        if (cfg.attention().softmaxCaveat() != null) root.put("attention_note", cfg.attention().softmaxCaveat());
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
        if (!x.bigrams().isEmpty()) {
            ArrayNode b = root.putArray("bigrams");
            for (dev.loupe.analysis.circuits.FactoredMatrix.Entry e : x.bigrams()) {
                ObjectNode o = b.addObject().put("token", e.row());
                if (text != null) o.put("token_text", text.apply(e.row()));
                o.put("next", e.column());
                if (text != null) o.put("next_text", text.apply(e.column()));
                number(o, "logit", e.value());
            }
        }
        if (!x.skipTrigrams().isEmpty()) {
            ArrayNode b = root.putArray("skip_trigrams");
            for (dev.loupe.analysis.circuits.SkipTrigrams.SkipTrigram s : x.skipTrigrams()) {
                ObjectNode o = b.addObject().put("layer", s.head().layer()).put("head", s.head().head())
                        .put("source", s.source()).put("destination", s.destination()).put("out", s.out());
                if (text != null) {
                    o.put("source_text", text.apply(s.source())).put("destination_text", text.apply(s.destination()))
                            .put("out_text", text.apply(s.out()));
                }
                number(o, "qk", s.qk());
                number(o, "ov", s.ov());
            }
        }
        if (x.paths() != null) {
            CircuitsReadings.Paths p = x.paths();
            ObjectNode o = root.putObject("path_expansion");
            ArrayNode ids = o.putArray("tokens");
            for (int id : p.ids()) ids.add(id);
            ArrayNode terms = o.putArray("terms");
            for (CircuitsReadings.Term t : p.terms()) {
                ObjectNode n = terms.addObject().put("path", t.label()).put("kind", t.kind().name().toLowerCase(java.util.Locale.ROOT));
                number(n, "norm", t.norm());
            }
            number(o, "ln_final_bias_norm", p.finalBiasNorm());
            number(o, "max_sum_error", p.maxSumError());
        }
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
