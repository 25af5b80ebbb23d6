package dev.loupe.cli.trace;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.analysis.trace.TraceStep;
import dev.loupe.analysis.trace.TraceTensor;
import dev.loupe.tensor.Tensor;

import java.util.List;
import java.util.Map;

/**
 * The walkthrough as JSON: {@code {"header": {...}, "steps": [{number, title, formula, shape,
 * meaning, values: [{key, label, shape, rows, cols, data}]}]}}, every matrix in full, row-major
 * nested arrays; masked −∞ entries are {@code null} (JSON has no infinity).
 */
final class TraceJson {
    private TraceJson() {}

    static String of(Map<String, Object> header, List<TraceStep> steps) {
        ObjectMapper om = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = om.createObjectNode();
        root.set("header", om.valueToTree(header));
        ArrayNode arr = root.putArray("steps");
        for (TraceStep s : steps) {
            ObjectNode o = arr.addObject();
            o.put("number", s.number());
            o.put("title", s.title());
            o.put("formula", s.formula());
            o.put("shape", s.shape());
            o.put("meaning", s.meaning());
            ArrayNode values = o.putArray("values");
            for (TraceTensor t : s.values()) {
                ObjectNode v = values.addObject();
                v.put("key", t.key());
                v.put("label", t.label());
                v.putArray("shape").add(t.value().dim(0)).add(t.value().dim(1));
                ArrayNode rows = v.putArray("rows");
                t.rowLabels().forEach(rows::add);
                ArrayNode cols = v.putArray("cols");
                t.colLabels().forEach(cols::add);
                ArrayNode data = v.putArray("data");
                Tensor m = t.value();
                for (int r = 0; r < m.dim(0); r++) {
                    ArrayNode row = data.addArray();
                    for (int c = 0; c < m.dim(1); c++) {
                        float x = m.get(r, c);
                        if (Float.isFinite(x)) row.add(x);
                        else row.addNull();
                    }
                }
            }
        }
        try {
            return om.writeValueAsString(root);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
