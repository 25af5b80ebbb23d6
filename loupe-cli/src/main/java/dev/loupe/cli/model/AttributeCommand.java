package dev.loupe.cli.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.LoupeException;
import dev.loupe.cli.UsageException;
import dev.loupe.analysis.decomposition.ResidualDecomposition;
import dev.loupe.model.Gpt;
import dev.loupe.cli.sae.SaeSpliceOption;
import dev.loupe.sae.SaeSplice;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code loupe attribute}: direct logit attribution of the last position's prediction. */
@Command(name = "attribute", mixinStandardHelpOptions = true,
        description = {
                "Direct logit attribution: how much each component wrote the target token's logit at the last position.",
                "",
                "The final residual stream is the sum of the embedding, the position embedding, every head's output,",
                "every MLP's output and the attention biases. Each term is read as the model reads the sum: centred,",
                "divided by ln_final's scale at that position (from the same pass), times γ, then W_U[target]. The",
                "attributions plus ln_final's β·W_U[target] add up to the logit. Positive = pushes the target up.",
                "Direct effects only: what a component changes through later layers is not counted here.",
                "Pre-LN models only (in a post-LN model the stream is not a sum).",
                ""},
        footer = {"%nExamples:",
                "  loupe attribute --model gpt2 --text \"The Eiffel Tower is in the city of\" --target \" Paris\"",
                "  loupe attribute --model gpt2 --text \"When John and Mary went to the shops, John gave the bag to\" \\",
                "      --target \" Mary\" --counterfactual \" John\"",
                "  loupe attribute --model runs/shakespeare --text \"abcab\" --json",
                "  loupe attribute --model gpt2 --text \"The Eiffel Tower is in the city of\" --weights bf16",
                "%nWithout --target the model's own top prediction is attributed. The text is used as given;",
                "--prepend-bos puts the end-of-text token in front, and the output says which.",
                "Exit codes: 0 ok, 1 failure (bad model, target not one token), 2 bad usage."})
public final class AttributeCommand implements Callable<Integer> {
    @Mixin
    ModelText modelText;

    @Mixin
    AnalysisWeightsOption weights;

    @Mixin
    SaeSpliceOption sae;

    @Option(names = "--features", paramLabel = "N", defaultValue = "10",
            description = "With --sae: the N features with the largest attribution are listed (default: ${DEFAULT-VALUE}).")
    int features;


    @Option(names = "--target", paramLabel = "TOKEN", description = "The predicted token to attribute (text of exactly one token, e.g. \" Paris\"); default: the top prediction.")
    String target;


    @Option(names = "--counterfactual", paramLabel = "TOKEN",
            description = "Attribute the logit difference target − counterfactual instead (text of exactly one token; "
                    + "IOI-style: the correct name minus the wrong one). Attribution is linear, so each component's share of "
                    + "the difference is its share of one logit minus its share of the other.")
    String counterfactual;

    @Option(names = "--position", defaultValue = "-1", paramLabel = "T",
            description = "The position whose prediction is attributed; negative counts from the end (default: ${DEFAULT-VALUE}, the last).")
    int position;

    @Option(names = "--json", description = "Print every attribution as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        ModelText.Opened opened = modelText.open(weights.format());
        LoadedGpt m = opened.model();
        BosText in = opened.input();
        Gpt gpt = m.model();
        SaeSplice splice = sae.attach(gpt);
        ResidualDecomposition rd = ResidualDecomposition.compute(gpt, in.ids());
        int length = in.ids().length;
        int pos = position < 0 ? length + position : position;
        if (pos < 0 || pos >= length) throw new UsageException("--position " + position + " is outside the text's " + length + " tokens");
        int token = target == null ? argmax(rd, pos) : targetId(m, target, "--target");
        double[] attr = rd.directLogitAttribution(pos, token);
        List<ResidualDecomposition.Component> comps = rd.components();
        double logit = rd.logits().get(pos, token), bias = rd.lnBiasTerm(token);
        int other = counterfactual == null ? -1 : targetId(m, counterfactual, "--counterfactual");
        if (other >= 0) { // the logit difference: everything is linear in the logit, so subtract term by term
            double[] against = rd.directLogitAttribution(pos, other);
            for (int k = 0; k < attr.length; k++) attr[k] -= against[k];
            logit -= rd.logits().get(pos, other);
            bias -= rd.lnBiasTerm(other);
        }
        if (splice != null && other >= 0) {
            throw new UsageException("--counterfactual cannot be combined with --sae yet: the feature attributions are of one logit");
        }
        SaeAttribution saeAttr = splice == null ? null : SaeAttribution.of(gpt, splice, rd, in.ids(), pos, token);
        if (json) {
            ObjectMapper om = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
            ObjectNode root = om.createObjectNode();
            ArrayNode ids = root.putArray("ids");
            for (int id : in.ids()) ids.add(id);
            ArrayNode toks = root.putArray("tokens");
            for (int id : in.ids()) toks.add(m.tokenizer().get().tokenText(id));
            root.put("prepend_bos", in.prependBos());
            root.put("position", pos);
            ObjectNode tg = root.putObject("target");
            tg.put("id", token);
            tg.put("text", m.tokenizer().get().tokenText(token));
            if (other >= 0) {
                ObjectNode cf = root.putObject("counterfactual");
                cf.put("id", other);
                cf.put("text", m.tokenizer().get().tokenText(other));
            }
            root.put("metric", other >= 0 ? "logit_difference" : "logit");
            root.put("logit", logit);
            root.put("ln_final_bias_term", bias);
            ArrayNode cs = root.putArray("components");
            for (int k = 0; k < comps.size(); k++) {
                ResidualDecomposition.Component c = comps.get(k);
                ObjectNode o = cs.addObject();
                o.put("label", c.label());
                o.put("kind", c.kind().name().toLowerCase(Locale.ROOT));
                if (c.layer() >= 0) o.put("layer", c.layer());
                if (c.kind() == ResidualDecomposition.Kind.EXPERT) o.put("expert", c.head());
                else if (c.head() >= 0) o.put("head", c.head());
                o.put("attribution", attr[k]);
            }
            ArrayNode heads = root.putArray("heads");
            for (double[] row : rd.perHead(attr)) {
                ArrayNode r = heads.addArray();
                for (double v : row) r.add(v);
            }
            if (saeAttr != null) saeAttr.json(root.putObject("sae"), features);
            System.out.println(om.writeValueAsString(root));
            return 0;
        }
        System.out.println(in.describe(m));
        if (other < 0) {
            System.out.printf(Locale.ROOT, "%d tokens; attributing position %d %s → target %s (id %d), logit %.4f%n",
                    in.ids().length, pos, m.show(in.ids()[pos]), m.show(token), token, logit);
        } else {
            System.out.printf(Locale.ROOT, "%d tokens; attributing position %d %s → logit difference %s − %s = %.4f%n",
                    in.ids().length, pos, m.show(in.ids()[pos]), m.show(token), m.show(other), logit);
        }
        if (gpt.config().highway() != null) {
            System.out.println("highway gates: every term is scaled by its sublayer's gate T and the carry gates of every later sublayer, "
                    + "as in this run (loupe highway shows them)");
        }
        System.out.printf(Locale.ROOT, "%n%-10s %12s%n", "component", "attribution");
        double sum = bias;
        for (int k = 0; k < comps.size(); k++) {
            sum += attr[k];
            if (comps.get(k).kind() != ResidualDecomposition.Kind.HEAD) System.out.printf(Locale.ROOT, "%-10s %12.4f%n", comps.get(k).label(), attr[k]);
        }
        System.out.printf(Locale.ROOT, "%-10s %12.4f   (ln_final β·W_U)%n", "ln_f bias", bias);
        if (saeAttr != null && saeAttr.replacement() != 0) {
            sum += saeAttr.replacement();
            System.out.printf(Locale.ROOT, "%-10s %12.4f   (x̂ − x written by the SAE at %s, which no component wrote)%n", "SAE", saeAttr.replacement(),
                    splice.hookName());
        }
        System.out.printf(Locale.ROOT, "%-10s %12.4f   (every component, heads included, + ln_f bias; the logit is %.4f)%n", "total", sum, logit);
        double[][] grid = rd.perHead(attr);
        if (grid.length > 0) {
            System.out.printf("%nper head (rows: layer, columns: head)%n      ");
            for (int h = 0; h < grid[0].length; h++) System.out.printf(Locale.ROOT, "%8s", "H" + h);
            System.out.println();
            for (int l = 0; l < grid.length; l++) {
                System.out.printf(Locale.ROOT, "%-6s", "L" + l);
                for (double v : grid[l]) System.out.printf(Locale.ROOT, "%8.3f", v);
                System.out.println();
            }
        }
        if (saeAttr != null) saeAttr.print(m, features);
        return 0;
    }

    private static int argmax(ResidualDecomposition rd, int pos) {
        int best = 0;
        for (int v = 1; v < rd.logits().dim(1); v++) if (rd.logits().get(pos, v) > rd.logits().get(pos, best)) best = v;
        return best;
    }

    private static int targetId(LoadedGpt m, String target, String option) {
        int[] ids = m.requireTokenizer(option).encode(target);
        if (ids.length != 1) {
            throw new LoupeException(option + " '" + target + "' is " + ids.length + " tokens; give the text of exactly one token"
                    + " (GPT-2 words usually start with a space: \" Paris\")");
        }
        return ids[0];
    }
}
