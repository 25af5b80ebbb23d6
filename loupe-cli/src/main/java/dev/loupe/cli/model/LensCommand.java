package dev.loupe.cli.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.analysis.decomposition.LogitLens;
import dev.loupe.cli.UsageException;
import dev.loupe.cli.sae.SaeSpliceOption;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code loupe lens}: the logit lens, top tokens per layer per position. */
@Command(name = "lens", mixinStandardHelpOptions = true,
        description = {
                "Logit lens: decode the residual stream after every layer as if it were the last, to see where the prediction forms.",
                "",
                "At each layer boundary the stream goes through ln_final (its own statistics) and the unembedding W_U;",
                "'embed' is the stream before block 0, 'L{l}' after block l, and the last row is the model's output.",
                ""},
        footer = {"%nExamples:",
                "  loupe lens --model gpt2 --text \"The Eiffel Tower is in the city of\" --top 3",
                "  loupe lens --model runs/shakespeare --text \"abcab\" --json",
                "%nThe text is used as given; --prepend-bos puts the end-of-text token in front, and the output says which.",
                "Exit codes: 0 ok, 1 failure (bad model), 2 bad usage."})
public final class LensCommand implements Callable<Integer> {
    @Mixin
    ModelText modelText;
    @Mixin
    WeightsOption weights;

    @Mixin
    SaeSpliceOption sae;


    @Option(names = "--top", paramLabel = "N", defaultValue = "3", description = "Tokens listed for the last position at the output, and per layer and position with --json (the grid shows the top one; default: ${DEFAULT-VALUE}).")
    int top;


    @Option(names = "--json", description = "Print every layer's top tokens and probabilities as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (top < 1) throw new UsageException("--top must be at least 1, got " + top);
        ModelText.Opened opened = modelText.open(weights.format());
        LoadedGpt m = opened.model();
        sae.attach(m.model());
        BosText in = opened.input();
        LogitLens lens = LogitLens.compute(m.model(), in.ids());
        int n = Math.min(top, m.model().config().vocabSize());
        int[] ids = in.ids();
        if (json) {
            ObjectMapper om = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
            ObjectNode root = om.createObjectNode();
            root.put("prepend_bos", in.prependBos());
            root.put("layers", lens.layers());
            ArrayNode positions = root.putArray("positions");
            for (int t = 0; t < ids.length; t++) {
                ObjectNode p = positions.addObject();
                p.put("position", t);
                p.put("id", ids[t]);
                p.put("token", m.tokenizer().get().tokenText(ids[t]));
                ArrayNode layers = p.putArray("layers");
                for (int l = 0; l < lens.layers(); l++) {
                    ObjectNode lo = layers.addObject();
                    lo.put("layer", l);
                    lo.put("label", label(l));
                    ArrayNode tops = lo.putArray("top");
                    for (LogitLens.Guess g : lens.top(l, t, n)) {
                        ObjectNode go = tops.addObject();
                        go.put("id", g.token());
                        go.put("text", m.tokenizer().get().tokenText(g.token()));
                        go.put("probability", g.probability());
                    }
                }
            }
            System.out.println(om.writeValueAsString(root));
            return 0;
        }
        System.out.println(in.describe(m));
        System.out.printf("%d tokens, %d layer boundaries (embed, then after each block); each cell: the top next-token guess and its probability%n%n",
                ids.length, lens.layers());
        System.out.print(LensGrid.render(lens, ids, m::show));
        int last = ids.length - 1, out = lens.layers() - 1;
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%nlast position, top %d at the output (%s):", n, LensGrid.label(out)));
        for (LogitLens.Guess g : lens.top(out, last, n)) sb.append(' ').append(m.show(g.token())).append(String.format(Locale.ROOT, " %.1f%%", 100 * g.probability()));
        System.out.println(sb);
        return 0;
    }

    private static String label(int layer) {
        return LensGrid.label(layer);
    }
}
