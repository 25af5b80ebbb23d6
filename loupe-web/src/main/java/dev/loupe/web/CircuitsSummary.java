package dev.loupe.web;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.analysis.circuits.Composition;
import dev.loupe.analysis.circuits.CompositionScores;
import dev.loupe.analysis.circuits.HeadCircuits;
import dev.loupe.analysis.circuits.HeadId;
import dev.loupe.analysis.detectors.HeadDetectors;
import dev.loupe.analysis.detectors.HeadScores;
import dev.loupe.analysis.detectors.Probe;

/**
 * The weights-only view of the model's heads (no prompt involved): each head's OV copying score
 * (positive eigenvalues of its full OV circuit W_E·W_OV·W_U) and the Q/K/V composition scores of
 * every pair of heads in different layers (Elhage et al., 2021), and the head detectors' scores on
 * repeated random tokens ({@link Probe#standard}: the probe of every view, independent of
 * any prompt). Computed once, on first request (about 6 s for GPT-2 small), then served from memory.
 */
final class CircuitsSummary {
    private final ExplorerModel model;
    private ObjectNode json;   // guarded by this

    CircuitsSummary(ExplorerModel model) {
        this.model = model;
    }

    /**
     * {@code {"layers", "heads", "copying": [L][H], "composition": {"q"|"k"|"v": [L·H][L·H]}}}; the
     * composition matrices are indexed by flattened head (layer·H + head), from (row) → to (column),
     * null where the pair does not compose (same or earlier layer).
     */
    synchronized ObjectNode json(ObjectMapper om) {
        if (json != null) return json;
        HeadCircuits c = new HeadCircuits(model.gpt());
        int layers = c.layers(), heads = c.heads(), n = layers * heads;
        ObjectNode root = om.createObjectNode();
        root.put("layers", layers);
        root.put("heads", heads);
        ArrayNode copying = root.putArray("copying");
        for (int l = 0; l < layers; l++) {
            ArrayNode row = copying.addArray();
            for (int h = 0; h < heads; h++) number(row, c.ovCopyingScore(l, h));
        }
        int half = Probe.standardHalf(model.config());
        ObjectNode det = root.putObject("detectors");
        if (half < 2) { // a context of 3 (the grokking model's "a b =") holds no repeated span to probe with
            det.put("unavailable", "the model's context of " + model.config().nPositions()
                    + " tokens is too short for the repeated-token probe (it needs 4)");
        } else {
            Probe probe = Probe.standard(model.config());
            HeadScores detectors = model.exclusive(() -> HeadDetectors.on(model.gpt(), probe));
            det.put("probe", probe.name());
            ExplorerJson.headScores(det, detectors);
        }
        CompositionScores scores = CompositionScores.compute(c);
        ObjectNode comp = root.putObject("composition");
        for (Composition kind : Composition.values()) {
            ArrayNode m = comp.putArray(kind.key());
            for (int i = 0; i < n; i++) {
                ArrayNode row = m.addArray();
                for (int j = 0; j < n; j++) {
                    int l1 = i / heads, l2 = j / heads;
                    if (l1 >= l2) row.addNull();
                    else number(row, scores.score(kind, new HeadId(l1, i % heads), new HeadId(l2, j % heads)));
                }
            }
        }
        json = root;
        return json;
    }

    private static void number(ArrayNode row, double v) {
        if (Double.isFinite(v)) row.add(v);
        else row.addNull();
    }
}
