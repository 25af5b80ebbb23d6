package dev.loupe.cli.moe;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.LoupeException;
import dev.loupe.analysis.moe.LayerDiagnostics;
import dev.loupe.analysis.moe.RoutingDiagnostics;
import dev.loupe.cli.ModelRef;
import dev.loupe.cli.ProgressLines;
import dev.loupe.cli.UsageException;
import dev.loupe.cli.model.LoadedGpt;
import dev.loupe.cli.train.TrainingDataFiles;
import dev.loupe.experiments.moe.RoutingHtml;
import dev.loupe.experiments.moe.RoutingJson;
import dev.loupe.model.GptConfig;
import dev.loupe.tensor.io.AtomicFiles;
import dev.loupe.tokens.Tokenizer;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code loupe moe}: routing diagnostics of a mixture-of-experts model over a text or a corpus, as HTML and JSON. */
@Command(name = "moe", mixinStandardHelpOptions = true,
        description = {"Routing diagnostics of a mixture-of-experts model: run a text or a corpus through it and, per MoE layer, "
                + "read the routing matrix R [tokens, E] (each token's kept, renormalised expert weights), RᵀR [E, E] (diagonal: "
                + "each expert's load; off-diagonal: co-routing) and its cosine form, per-expert token counts, the load's "
                + "coefficient of variation, dead experts, the router entropy, each expert's top tokens by routing weight, and "
                + "the co-activation of consecutive MoE layers' experts.",
                "",
                "Writes moe.html (R heatmap over the first window of tokens, RᵀR heatmaps, load bars, top-token tables) and "
                        + "moe.json (every number) to --out, and prints a summary per layer. A corpus runs in windows of --seq "
                        + "tokens with progress lines."},
        footer = {"", "Examples (the model comes from 'loupe reproduce moe-specialisation'):",
                "  loupe moe --model runs/reproduce-moe-specialisation/with-aux \\",
                "      --text \"the old man saw a ship. 12+30=42 x = y + 3;\" --out runs/moe",
                "  loupe moe --model runs/reproduce-moe-specialisation/without-aux \\",
                "      --data corpus.txt --tokens 20000 --out runs/moe-corpus"})
public final class MoeCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR|NAME", converter = ModelRef.Converter.class,
            description = "Model directory whose config.json has loupe.moe (with a tokenizer for --text).")
    ModelRef model;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    static final class Input {
        @Option(names = "--text", required = true, paramLabel = "TEXT", description = "A text to route, used as given.")
        String text;

        @Option(names = "--data", required = true, paramLabel = "FILE", description = "A corpus: text file (the model's tokenizer) or .bin token file.")
        Path data;
    }

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory for moe.html and moe.json.")
    Path out;

    @Option(names = "--tokens", defaultValue = "65536", paramLabel = "N", description = "Route at most N tokens of --data (default: ${DEFAULT-VALUE}).")
    int tokens;

    @Option(names = "--seq", paramLabel = "T", description = "Tokens per window (default: the model's context).")
    Integer seq;

    @Option(names = "--top", defaultValue = "8", paramLabel = "N", description = "Top tokens listed per expert (default: ${DEFAULT-VALUE}).")
    int top;

    @Override
    public Integer call() throws Exception {
        if (tokens < 1) throw new UsageException("--tokens must be positive, got " + tokens);
        if (top < 0) throw new UsageException("--top must be 0 or more, got " + top);
        if (Files.exists(out) && !Files.isDirectory(out)) throw new UsageException("--out " + out + " exists and is not a directory");
        LoadedGpt m = LoadedGpt.open(model);
        GptConfig c = m.model().config();
        RoutingDiagnostics.moeLayers(c);                                   // a dense model: one clear line, before reading any data
        int t = seq != null ? seq : c.nPositions();
        if (t < 1 || t > c.nPositions()) throw new UsageException("--seq must be in 1.." + c.nPositions() + " (the model's context), got " + t);
        int[] ids;
        String what;
        if (input.text != null) {
            Tokenizer tok = m.requireTokenizer("--text");
            ids = tok.encode(input.text);
            if (ids.length == 0) throw new UsageException("--text is empty");
            what = ids.length + " tokens of the text";
        } else {
            int[] all = TrainingDataFiles.evalTokens(input.data, m.tokenizer());
            ids = Arrays.copyOf(all, Math.min(all.length, tokens));
            if (ids.length == 0) throw new LoupeException(input.data + " holds no tokens");
            what = String.format(Locale.ROOT, "%,d tokens of %s", ids.length, input.data);
        }
        int max = Arrays.stream(ids).max().getAsInt();
        if (max >= c.vocabSize()) throw new LoupeException("token id " + max + " is outside the model's vocabulary of " + c.vocabSize());
        ProgressLines progress = new ProgressLines(System.err, "moe");
        long windows = (ids.length + t - 1L) / t;
        if (windows > 1) progress.stage("routing " + what + " in " + windows + " windows of " + t);
        RoutingDiagnostics d = RoutingDiagnostics.over(m.model(), ids, t, new RoutingDiagnostics.Settings(top, 4),
                windows > 1 ? (done, total) -> progress.step(done, total, "windows routed") : RoutingDiagnostics.Steps.NONE);
        ObjectNode json = RoutingJson.of(d, id -> plain(m, id));
        json.put("model", m.dir().toString()).put("input", what).put("experts", c.moe().experts()).put("top_k", c.moe().topK());
        Files.createDirectories(out);
        AtomicFiles.writeString(out.resolve("moe.json"), json.toPrettyString() + "\n");
        AtomicFiles.writeString(out.resolve("moe.html"), RoutingHtml.page("Routing of " + m.dir().getFileName(),
                "Model " + m.dir() + " (" + c.moe().experts() + " experts, top-" + c.moe().topK() + "); " + what
                        + (windows > 1 ? ", in windows of " + t + "; R is drawn over the first window." : "."), d, id -> plain(m, id)));
        System.out.printf(Locale.ROOT, "%s: %d experts, top-%d; routed %s%n", m.dir().getFileName(), c.moe().experts(), c.moe().topK(), what);
        for (LayerDiagnostics l : d.layers()) {
            System.out.printf(Locale.ROOT, "  layer %d: entropy %.3f nats (ln %d = %.3f), load CV %.3f, balance %.3f, dead %s, slots %s%n",
                    l.layer(), l.entropy(), l.experts(), Math.log(l.experts()), l.loadCv(), l.balance(),
                    l.deadExperts().isEmpty() ? "none" : l.deadExperts(), Arrays.toString(l.counts()));
        }
        System.out.println("wrote " + out.resolve("moe.html") + " and " + out.resolve("moe.json"));
        return 0;
    }

    /** The token's own text (the HTML escapes it), or #id without a tokenizer. */
    private static String plain(LoadedGpt m, int id) {
        return m.tokenizer().map(t -> t.tokenText(id)).orElse("#" + id);
    }
}
