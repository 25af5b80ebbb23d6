package dev.loupe.cli.trace;

import dev.loupe.cli.model.NonFiniteOption;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.analysis.contrast.TokenLocator;
import dev.loupe.analysis.contrast.ValueContrast;
import dev.loupe.cli.UsageException;
import dev.loupe.model.GptConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

/** {@code loupe contrast}: the same token in two contexts, head by head (seed 001's "apple" question). */
@Command(name = "contrast", mixinStandardHelpOptions = true,
        description = {
                "The same word in two contexts: what does each attention head's value path carry from it?",
                "",
                "For the word's token in each context, per layer and head:",
                "  v  = a·W_V^h + b_V^h   the value vector: what this token would send",
                "                         if another token attended to it",
                "  OV = v·W_O^h           that value written into the residual stream",
                "                         (the head's OV circuit)",
                "  cos(OV_A, OV_B)        1: the head sends the same thing in both",
                "                         contexts; lower: it sends something different",
                "  pushes up / down       the tokens whose logits OV raises and lowers",
                "                         most, read through the unembedding (direct logit",
                "                         attribution; through ln_final's centring and γ",
                "                         unless --raw-unembedding)",
                "Also the cosine between the two contexts' residual streams at the token after each block: how far context",
                "has moved the token's representation.",
                "",
                "In the first block the value depends only on the token and its position (no context has been mixed in",
                "yet); differences in later blocks are what context did. Meaningful on a trained model such as GPT-2.",
                ""},
        footer = {"%nExamples:",
                "  loupe contrast --model gpt2 --token apple \\",
                "      --context \"I ate an apple\" --context \"The new phone from Apple\"",
                "  loupe contrast --model runs/shakespeare --token cat --context \"the cat sat\" --context \"a cat\" --json",
                "%nThe word is looked for as its own tokens and, for GPT-2-style BPE, with a leading space (\" apple\");",
                "the last occurrence is used; a word of several tokens is represented by its last token.",
                "Exit codes: 0 ok, 1 failure (word not found, bad model), 2 bad usage."})
public final class ContrastCommand implements Callable<Integer> {
    @Mixin
    NonFiniteOption nonFinite;


    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model directory with a tokenizer.")
    Path model;

    @Mixin
    dev.loupe.cli.model.AnalysisWeightsOption weights;

    @Option(names = "--token", required = true, paramLabel = "WORD", description = "The word to follow, e.g. apple.")
    String token;

    @Option(names = "--context", required = true, paramLabel = "TEXT",
            description = "A text containing the word; give exactly two (A and B).")
    List<String> contexts;

    @Option(names = "--top", paramLabel = "N", defaultValue = "5", description = "Tokens shown pushed up and down per head (default: ${DEFAULT-VALUE}).")
    int top;

    @Option(names = "--raw-unembedding", description = "Read OV outputs through W_U alone, without ln_final's centring and γ.")
    boolean raw;

    @Option(names = "--json", description = "Print every number (the vectors v and OV in full) as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (contexts.size() != 2) throw new UsageException("give exactly two --context texts, got " + contexts.size());
        if (top < 1) throw new UsageException("--top must be at least 1, got " + top);
        OpenedModel m = OpenedModel.open(model, nonFinite.allowed(), weights.format());
        TokenLocator.Located a = TokenLocator.find(m.tokenizer(), token, contexts.get(0), "context A");
        TokenLocator.Located b = TokenLocator.find(m.tokenizer(), token, contexts.get(1), "context B");
        GptConfig c = m.gpt().config();
        for (TokenLocator.Located l : List.of(a, b)) {
            if (c.positional() == GptConfig.Positional.LEARNED && l.ids().length > c.nPositions()) {
                throw new dev.loupe.LoupeException("a context of " + l.ids().length + " tokens exceeds the model's n_positions = " + c.nPositions());
            }
        }
        ValueContrast vc = ValueContrast.compute(m.gpt(), a.ids(), a.position(), b.ids(), b.position(), Math.min(top, c.vocabSize()), !raw);
        if (json) System.out.println(json(m, a, b, vc));
        else text(m, a, b, vc);
        return 0;
    }

    private void text(OpenedModel m, TokenLocator.Located a, TokenLocator.Located b, ValueContrast vc) {
        GptConfig c = m.gpt().config();
        System.out.println("loupe contrast: what each head's value path carries from one token in two contexts");
        System.out.printf(Locale.ROOT, "model    %s: %d blocks, d_model %d, %d heads (d_head %d), vocabulary %d%n",
                model, c.nLayer(), c.dModel(), c.nHead(), c.dHead(), c.vocabSize());
        System.out.println("token    '" + m.show(a.ids()[a.position()]) + "'" + (a.note().isEmpty() ? "" : "   (" + a.note() + ")"));
        System.out.println(side("A", contexts.get(0), m, a));
        System.out.println(side("B", contexts.get(1), m, b));
        System.out.println("pushes   " + (vc.throughLnFinal()
                ? "OV·W_U through ln_final's centring and γ (TransformerLens's folded unembedding; 1/σ omitted: a positive scale)"
                : "OV·W_Uᵀ, raw (no ln_final)"));
        System.out.println();
        System.out.println("residual stream at the token, cos(A, B):");
        double[] rc = vc.residualCosines();
        for (int l = 0; l < rc.length; l++) {
            String where = l == 0 ? "embedding (token + position)" : "after block " + (l - 1);
            System.out.printf(Locale.ROOT, "  %-30s %7.4f  %s%n", where, rc[l], bar(rc[l]));
        }
        System.out.println();
        System.out.println("per head: cos of the value vectors v and of their OV outputs; |OV| sizes; the tokens each OV pushes");
        for (ValueContrast.Head h : vc.heads()) {
            System.out.printf(Locale.ROOT, "%nL%d H%-3d cos(v) %7.4f   cos(OV) %7.4f   |OV_A| %.3f   |OV_B| %.3f%n",
                    h.layer(), h.head(), h.valueCosine(), h.ovCosine(), norm(h.ovA()), norm(h.ovB()));
            System.out.println("   A ↑ " + pushes(m, h.upA()) + "   ↓ " + pushes(m, h.downA()));
            System.out.println("   B ↑ " + pushes(m, h.upB()) + "   ↓ " + pushes(m, h.downB()));
        }
    }

    private static String side(String name, String context, OpenedModel m, TokenLocator.Located l) {
        return String.format(Locale.ROOT, "%-8s \"%s\" → %s   (position %d of 0…%d)", name, context,
                TokenLocator.show(m.tokenizer(), l.ids()), l.position(), l.ids().length - 1);
    }

    private static String pushes(OpenedModel m, List<ValueContrast.Push> p) {
        return p.stream().map(x -> String.format(Locale.ROOT, "%s %+.2f", m.show(x.token()), x.logit())).collect(Collectors.joining("  "));
    }

    private static String bar(double cos) {
        int n = (int) Math.round(Math.max(0, cos) * 30);
        return "█".repeat(n);
    }

    private static double norm(double[] v) {
        double s = 0;
        for (double x : v) s += x * x;
        return Math.sqrt(s);
    }

    private String json(OpenedModel m, TokenLocator.Located a, TokenLocator.Located b, ValueContrast vc) throws Exception {
        ObjectMapper om = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = om.createObjectNode();
        root.put("model", model.toString());
        root.put("token", token);
        root.put("token_text", m.tokenizer().tokenText(a.ids()[a.position()]));
        root.put("note", a.note());
        root.put("through_ln_final", vc.throughLnFinal());
        ArrayNode ctx = root.putArray("contexts");
        for (int i = 0; i < 2; i++) {
            TokenLocator.Located l = i == 0 ? a : b;
            ObjectNode o = ctx.addObject();
            o.put("text", contexts.get(i));
            o.set("ids", om.valueToTree(l.ids()));
            o.put("position", l.position());
        }
        root.set("residual_cosines", om.valueToTree(vc.residualCosines()));
        ArrayNode heads = root.putArray("heads");
        for (ValueContrast.Head h : vc.heads()) {
            ObjectNode o = heads.addObject();
            o.put("layer", h.layer());
            o.put("head", h.head());
            o.put("value_cosine", h.valueCosine());
            o.put("ov_cosine", h.ovCosine());
            o.set("value_a", om.valueToTree(h.valueA()));
            o.set("value_b", om.valueToTree(h.valueB()));
            o.set("ov_a", om.valueToTree(h.ovA()));
            o.set("ov_b", om.valueToTree(h.ovB()));
            o.set("up_a", pushesJson(om, m, h.upA()));
            o.set("down_a", pushesJson(om, m, h.downA()));
            o.set("up_b", pushesJson(om, m, h.upB()));
            o.set("down_b", pushesJson(om, m, h.downB()));
        }
        return om.writeValueAsString(root);
    }

    private static ArrayNode pushesJson(ObjectMapper om, OpenedModel m, List<ValueContrast.Push> p) {
        ArrayNode arr = om.createArrayNode();
        for (ValueContrast.Push x : p) {
            arr.addObject().put("id", x.token()).put("text", m.tokenizer().tokenText(x.token())).put("logit", x.logit());
        }
        return arr;
    }
}
