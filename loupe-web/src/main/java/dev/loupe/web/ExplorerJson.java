package dev.loupe.web;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.analysis.decomposition.ResidualDecomposition;
import dev.loupe.analysis.detectors.HeadScores;

import java.util.List;
import java.util.Locale;

/** The JSON answers of the explorer's API about one prompt run (see {@link ExplorerServer}). */
final class ExplorerJson {
    private ExplorerJson() {}

    /** Tokens (raw and visible text), the top next-token predictions, the run id and any truncation notice. */
    static ObjectNode analysis(ObjectMapper om, ExplorerModel model, PromptRun run, int top, int maxTokens) {
        ObjectNode o = om.createObjectNode();
        o.put("run", run.id);
        o.put("layers", model.config().nLayer());
        o.put("heads", model.config().nHead());
        ArrayNode toks = o.putArray("tokens");
        for (int id : run.ids) token(toks.addObject(), model, id);
        o.put("truncated", run.truncated);
        if (run.truncated) {
            o.put("notice", String.format(Locale.ROOT, "the prompt was %d tokens, longer than the %d this explorer runs; its first %d tokens were dropped",
                    run.ids.length + run.droppedTokens, maxTokens, run.droppedTokens));
        }
        headScores(o.putObject("head_scores"), run.headScores());
        ArrayNode preds = o.putArray("predictions");
        for (PromptRun.Guess g : run.predictions(top)) {
            ObjectNode p = preds.addObject();
            token(p, model, g.id());
            p.put("probability", g.probability());
        }
        return o;
    }

    /** The logit lens: labels of the layer boundaries and, per boundary and position, the top tokens. */
    static ObjectNode lens(ObjectMapper om, ExplorerModel model, PromptRun run) {
        PromptRun.Guess[][][] lens = run.lens();
        ObjectNode o = om.createObjectNode();
        ArrayNode labels = o.putArray("labels");
        for (int l = 0; l < lens.length; l++) labels.add(l == 0 ? "embed" : "L" + (l - 1));
        ArrayNode rows = o.putArray("rows");
        for (PromptRun.Guess[][] layer : lens) {
            ArrayNode row = rows.addArray();
            for (PromptRun.Guess[] pos : layer) {
                ArrayNode cell = row.addArray();
                for (PromptRun.Guess g : pos) {
                    ObjectNode c = cell.addObject();
                    token(c, model, g.id());
                    c.put("probability", g.probability());
                }
            }
        }
        return o;
    }

    /**
     * Direct logit attribution at the last position of the answer token ({@code token=ID}, or
     * {@code text=} one token's text, or by default the top prediction) to every component.
     */
    static ObjectNode dla(ObjectMapper om, ExplorerModel model, PromptRun run, Query q) {
        int target;
        if (q.get("token") != null) {
            try {
                target = Integer.parseInt(q.get("token"));
            } catch (NumberFormatException e) {
                throw new HttpError(400, "token must be a token id, got '" + q.get("token") + "'");
            }
            if (target < 0 || target >= model.config().vocabSize()) throw new HttpError(400, "token id " + target + " is outside the vocabulary");
        } else if (q.get("text") != null && !q.get("text").isEmpty()) {
            int[] ids = model.tokenizer().encode(q.get("text"));
            if (ids.length != 1) throw new HttpError(400, "'" + q.get("text") + "' is " + ids.length + " tokens; give the text of exactly one token");
            target = ids[0];
        } else {
            target = run.predictions(1).getFirst().id();
        }
        ResidualDecomposition rd = run.decomposition();
        int pos = run.ids.length - 1;
        double[] attr = rd.directLogitAttribution(pos, target);
        List<ResidualDecomposition.Component> comps = rd.components();
        ObjectNode o = om.createObjectNode();
        token(o.putObject("target"), model, target);
        o.put("position", pos);
        o.put("logit", rd.logits().get(pos, target));
        o.put("ln_final_bias_term", rd.lnBiasTerm(target));
        ArrayNode cs = o.putArray("components");
        for (int k = 0; k < comps.size(); k++) {
            ResidualDecomposition.Component c = comps.get(k);
            ObjectNode co = cs.addObject();
            co.put("label", c.label());
            co.put("kind", c.kind().name().toLowerCase(Locale.ROOT));
            co.put("layer", c.layer());
            co.put("head", c.kind() == ResidualDecomposition.Kind.EXPERT ? -1 : c.head());
            if (c.kind() == ResidualDecomposition.Kind.EXPERT) co.put("expert", c.head());
            co.put("attribution", attr[k]);
        }
        return o;
    }

    /** {"previous_token", "duplicate_token", "induction"}: [n_layer][n_head] each. */
    static void headScores(ObjectNode o, HeadScores s) {
        grid(o.putArray("previous_token"), s.previousToken());
        grid(o.putArray("duplicate_token"), s.duplicateToken());
        grid(o.putArray("induction"), s.induction());
    }

    private static void grid(ArrayNode a, double[][] v) {
        for (double[] row : v) {
            ArrayNode r = a.addArray();
            for (double x : row) r.add(x);
        }
    }

    private static void token(ObjectNode o, ExplorerModel model, int id) {
        o.put("id", id);
        o.put("text", model.text(id));
        o.put("display", model.display(id));
    }
}
