package dev.loupe.cli.interventions;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.analysis.interventions.ActivationPatching;
import dev.loupe.cli.ModelRef;
import dev.loupe.cli.UsageException;
import dev.loupe.cli.model.LoadedGpt;
import dev.loupe.cli.model.NonFiniteOption;
import dev.loupe.experiments.report.Heatmap;
import dev.loupe.model.Gpt;
import dev.loupe.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.ToDoubleFunction;

/** {@code loupe patch}: activation patching from a clean run into a corrupted one. */
@Command(name = "patch", mixinStandardHelpOptions = true,
        description = {
                "Activation patching (causal tracing), as TransformerLens's patching utilities do it: run the corrupted text "
                        + "with one activation taken from the clean run, and see how much of the clean behaviour comes back.",
                "Grids: layer × position for blocks.L.hook_resid_pre, hook_attn_out and hook_mlp_out (one position patched "
                        + "at a time), and layer × head for each head's output (attn.hook_z, every position). Each cell is "
                        + "normalised: (patched − corrupted) / (clean − corrupted), so 1 = the clean run's metric, 0 = the "
                        + "corrupted run's.",
                "The two texts must have the same number of tokens (e.g. one name swapped).",
                ""},
        footer = {"%nExamples:",
                "  loupe patch --model runs/quickstart/attn-only-2l --clean abcdefabc --corrupted abcdefabX \\",
                "      --metric logit-diff --target d --counterfactual Y --out patching",
                "  loupe patch --model gpt2 --clean \"When John and Mary went to the shops, John gave the bag to\" \\",
                "      --corrupted \"When John and Mary went to the shops, Mary gave the bag to\" \\",
                "      --metric logit-diff --target \" Mary\" --counterfactual \" John\"",
                "%nWith --out DIR: DIR/patch.json, DIR/patch_resid_pre.npy, patch_attn_out.npy, patch_mlp_out.npy ([n_layer, T]),",
                "DIR/patch_heads.npy ([n_layer, n_head]) and DIR/patch.html (heatmaps with colour bars).",
                "Exit codes: 0 ok, 1 failure (bad model, texts of different lengths), 2 bad usage."})
public final class PatchCommand implements Callable<Integer> {
    @Mixin
    NonFiniteOption nonFinite;

    @Option(names = "--model", required = true, paramLabel = "DIR|NAME", converter = ModelRef.Converter.class,
            description = "Model directory with a tokenizer, or a hub name fetched with 'loupe fetch'.")
    ModelRef model;

    @Option(names = "--clean", required = true, paramLabel = "TEXT", description = "The text whose activations are patched in.")
    String clean;

    @Option(names = "--corrupted", required = true, paramLabel = "TEXT", description = "The text that is run, with one activation patched.")
    String corrupted;

    @Mixin
    MetricOptions metric;

    @Option(names = "--out", paramLabel = "DIR", description = "Write patch.json, the .npy grids and patch.html into DIR.")
    Path out;

    @Override
    public Integer call() throws Exception {
        LoadedGpt m = LoadedGpt.open(model, nonFinite.allowed());
        Gpt gpt = m.model();
        int[] cleanIds = m.requireTokenizer("--clean").encode(clean);
        int[] corruptedIds = m.requireTokenizer("--corrupted").encode(corrupted);
        if (cleanIds.length != corruptedIds.length || cleanIds.length == 0) {
            throw new UsageException("--clean is " + cleanIds.length + " tokens and --corrupted " + corruptedIds.length
                    + ": patching needs two non-empty texts of the same length");
        }
        ToDoubleFunction<Tensor> f = metric.metric(m, cleanIds);
        ActivationPatching.Result r = ActivationPatching.run(gpt, cleanIds, corruptedIds, f,
                line -> System.err.println("loupe: " + line));
        System.out.println("metric   " + metric.describe(m, cleanIds.length));
        System.out.printf(Locale.ROOT, "clean    %.4f   corrupted %.4f   (cells: 1 = clean, 0 = corrupted)%n", r.clean(), r.corrupted());
        List<String> tokens = new ArrayList<>();
        for (int t = 0; t < cleanIds.length; t++) tokens.add(t + " " + m.show(cleanIds[t]) + (cleanIds[t] == corruptedIds[t] ? "" : "/" + m.show(corruptedIds[t])));
        List<Heatmap> maps = new ArrayList<>();
        ObjectNode root = OutDir.JSON.createObjectNode();
        root.put("metric", metric.describe(m, cleanIds.length)).put("clean", r.clean()).put("corrupted", r.corrupted());
        var tokenArray = root.putArray("tokens");
        tokens.forEach(tokenArray::add);
        for (var e : r.byPosition().entrySet()) {
            System.out.println();
            System.out.println(e.getKey() + " (layer × position):");
            OutDir.printGrid(e.getValue(), "T", "%+7.2f");
            OutDir.grid(root.putArray(e.getKey()), e.getValue());
            maps.add(new Heatmap(e.getKey() + ": layer × position", OutDir.labels("L", e.getValue().length), tokens, e.getValue()));
        }
        System.out.println();
        System.out.println("head outputs, attn.hook_z (layer × head):");
        OutDir.printGrid(r.heads(), "H", "%+7.2f");
        OutDir.grid(root.putArray("heads"), r.heads());
        maps.add(new Heatmap("head outputs (attn.hook_z): layer × head", OutDir.labels("L", r.heads().length),
                OutDir.labels("H", r.heads()[0].length), r.heads()));
        if (out != null) {
            OutDir files = new OutDir(out);
            for (var e : r.byPosition().entrySet()) files.npy("patch_" + e.getKey(), e.getValue());
            files.npy("patch_heads", r.heads());
            files.json("patch", root);
            files.html("patch", Heatmap.page("loupe patch", String.format(Locale.ROOT,
                    "Clean \"%s\", corrupted \"%s\". Metric: %s; clean %.4f, corrupted %.4f. Cells: (patched − corrupted) / "
                            + "(clean − corrupted).", clean, corrupted, metric.describe(m, cleanIds.length), r.clean(), r.corrupted()), maps));
            System.out.println(files.summary());
        }
        return 0;
    }
}
