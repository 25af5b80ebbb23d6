package dev.loupe.cli.highway;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.analysis.decomposition.HighwayPaths;
import dev.loupe.cli.UsageException;
import dev.loupe.experiments.report.Heatmap;
import dev.loupe.cli.interventions.OutDir;
import dev.loupe.cli.model.BosText;
import dev.loupe.cli.model.LoadedGpt;
import dev.loupe.cli.model.ModelText;
import dev.loupe.model.HighwaySettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.IntStream;

/** {@code loupe highway}: the gates of a highway-gated model on one text, and its carry and transform paths. */
@Command(name = "highway", mixinStandardHelpOptions = true,
        description = {
                "Highway gates: which tokens asked for transformation, and how much of the stream each sublayer carried or rewrote.",
                "",
                "For a model trained with --highway (SPEC: T = σ(LN(x)·W_T + b_T); highway y = T⊙F + (1 − T)⊙x, gated_residual "
                        + "y = x + T⊙F), runs the text once and shows, per sublayer (rows: L0 attn, L0 mlp, …) and position:",
                "  gate       the mean of T over d_model (1 = transform, 0 = carry;",
                "             a plain sublayer is 1)",
                "  transform  the share of the stream leaving the sublayer that it wrote,",
                "             ⟨T⊙F, y⟩/‖y‖² (carry = 1 − transform)",
                "  final      the share of the last stream that arrived through the",
                "             sublayer's transform path: its output times its gate and",
                "             the carry gates of every later sublayer (with the",
                "             embedding's share these add to 1)",
                ""},
        footer = {"%nExamples:",
                "  loupe train --data shakespeare.txt --out runs/hw --layers 8 --d-model 64 --highway attn,mlp --steps 300",
                "  loupe highway --model runs/hw/ --text \"ROMEO: But soft\" --out highway",
                "%nWith --out DIR: DIR/highway.json (every number), DIR/highway_gate.npy, highway_transform.npy,",
                "highway_final.npy ([sublayers, T] float32) and DIR/highway.html (heatmaps). --json prints the JSON instead.",
                "Exit codes: 0 ok, 1 failure (bad model), 2 bad usage (e.g. a model without highway gates)."})
public final class HighwayCommand implements Callable<Integer> {
    @Mixin
    ModelText modelText;

    @Option(names = "--out", paramLabel = "DIR", description = "Write highway.json, the .npy grids and highway.html into DIR.")
    Path out;

    @Option(names = "--json", description = "Print the JSON report on stdout instead of the text grids.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        ModelText.Opened opened = modelText.open();
        LoadedGpt m = opened.model();
        HighwaySettings hw = m.model().config().highway();
        if (hw == null) {
            throw new UsageException(m.dir() + " has no highway gates (config.json has no loupe.highway); "
                    + "train one with 'loupe train --highway attn,mlp'");
        }
        BosText in = opened.input();
        int[] ids = in.ids();
        HighwayPaths p = HighwayPaths.compute(m.model(), ids);
        List<String> rows = p.sublayers().stream().map(HighwayPaths.Sublayer::label).toList();
        List<String> tokens = new ArrayList<>();
        for (int t = 0; t < ids.length; t++) tokens.add(t + " " + m.show(ids[t]));
        ObjectNode root = report(m, hw, in, tokens, rows, p);
        if (json) {
            System.out.println(OutDir.JSON.writeValueAsString(root));
        } else {
            printText(m, hw, in, tokens, p);
        }
        if (out != null) {
            OutDir files = new OutDir(out);
            files.npy("highway_gate", p.meanGate());
            files.npy("highway_transform", p.transformShare());
            files.npy("highway_final", p.finalShare());
            files.json("highway", root);
            double[][] fin = new double[rows.size() + 1][];
            for (int s = 0; s < rows.size(); s++) fin[s] = p.finalShare()[s];
            fin[rows.size()] = p.embedFinalShare();
            List<String> finRows = new ArrayList<>(rows);
            finRows.add("embed");
            files.html("highway", Heatmap.page("loupe highway", String.format(Locale.ROOT,
                    "%s on \"%s\" (%s). Gate: mean of T over d_model (1 = transform, 0 = carry). Transform: share of the stream "
                            + "leaving each sublayer that it wrote, ⟨T⊙F, y⟩/‖y‖². Final: share of the last stream that arrived "
                            + "through each sublayer's transform path (gates of this run held fixed; with the embedding's row the "
                            + "column adds to 1).", m.dir(), modelText.text(), describe(hw)),
                    List.of(new Heatmap("mean gate T: which tokens asked for transformation (sublayer × position)", rows, tokens, p.meanGate()),
                            new Heatmap("transform share at the sublayer (sublayer × position)", rows, tokens, p.transformShare()),
                            new Heatmap("share of the final stream by path (sublayer × position)", finRows, tokens, fin))));
            System.err.println(files.summary());
        }
        return 0;
    }

    private static String describe(HighwaySettings hw) {
        return HighwaySettings.configName(hw.mode()) + ", " + HighwaySettings.configName(hw.gate()) + " gates on "
                + String.join(" and ", hw.sublayers().stream().sorted().map(HighwaySettings::configName).toList());
    }

    private void printText(LoadedGpt m, HighwaySettings hw, BosText in, List<String> tokens, HighwayPaths p) {
        System.out.println(in.describe(m));
        System.out.println("highway: " + describe(hw) + "; rows are sublayers, columns positions");
        grid("mean gate T (1 = transform, 0 = carry)", p, p.meanGate(), tokens);
        grid("transform share at the sublayer ⟨T⊙F, y⟩/‖y‖² (carry = 1 − transform)", p, p.transformShare(), tokens);
        grid("share of the final stream through each sublayer", p, p.finalShare(), tokens);
        StringBuilder e = new StringBuilder(String.format(Locale.ROOT, "  %-9s", "embed"));
        for (double v : p.embedFinalShare()) e.append(String.format(Locale.ROOT, "%7.2f", v));
        System.out.println(e);
        double[] g = p.tokenGate();
        Integer[] order = IntStream.range(0, g.length).boxed().sorted(Comparator.comparingDouble(i -> -g[i])).toArray(Integer[]::new);
        StringBuilder top = new StringBuilder("\ntokens that asked most for transformation (mean gate over the gated sublayers):");
        for (int k = 0; k < Math.min(5, order.length); k++) {
            top.append(String.format(Locale.ROOT, " %s %.3f", tokens.get(order[k]), g[order[k]]));
        }
        System.out.println(top);
    }

    private static void grid(String title, HighwayPaths p, double[][] values, List<String> tokens) {
        System.out.println();
        System.out.println(title + ":");
        StringBuilder head = new StringBuilder(String.format(Locale.ROOT, "  %-9s", ""));
        for (int t = 0; t < tokens.size(); t++) head.append(String.format(Locale.ROOT, "%7s", "T" + t));
        System.out.println(head);
        for (int s = 0; s < values.length; s++) {
            StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "  %-9s", p.sublayers().get(s).label()));
            for (double v : values[s]) row.append(String.format(Locale.ROOT, "%7.2f", v));
            System.out.println(row);
        }
    }

    private ObjectNode report(LoadedGpt m, HighwaySettings hw, BosText in, List<String> tokens, List<String> rows, HighwayPaths p) {
        ObjectNode root = OutDir.JSON.createObjectNode();
        root.put("model", String.valueOf(m.dir()));
        root.put("text", modelText.text());
        root.put("prepend_bos", in.prependBos());
        ObjectNode h = root.putObject("highway");
        h.put("mode", HighwaySettings.configName(hw.mode()));
        h.put("gate", HighwaySettings.configName(hw.gate()));
        ArrayNode subs = h.putArray("sublayers");
        hw.sublayers().stream().sorted().forEach(s -> subs.add(HighwaySettings.configName(s)));
        ArrayNode tok = root.putArray("tokens");
        tokens.forEach(tok::add);
        ArrayNode r = root.putArray("rows");
        rows.forEach(r::add);
        OutDir.grid(root.putArray("mean_gate"), p.meanGate());
        OutDir.grid(root.putArray("transform_share"), p.transformShare());
        OutDir.grid(root.putArray("carry_share"), p.carryShare());
        OutDir.grid(root.putArray("final_share"), p.finalShare());
        ArrayNode emb = root.putArray("embed_final_share");
        for (double v : p.embedFinalShare()) emb.add(v);
        ArrayNode tg = root.putArray("token_gate");
        for (double v : p.tokenGate()) tg.add(v);
        ArrayNode per = root.putArray("per_sublayer");
        for (int s = 0; s < rows.size(); s++) {
            ObjectNode o = per.addObject();
            o.put("sublayer", rows.get(s));
            o.put("gated", p.sublayers().get(s).gated());
            o.put("mean_gate", mean(p.meanGate()[s]));
            o.put("transform_share", mean(p.transformShare()[s]));
            o.put("final_share", mean(p.finalShare()[s]));
        }
        return root;
    }

    private static double mean(double[] v) {
        double s = 0;
        for (double x : v) s += x;
        return v.length == 0 ? 0 : s / v.length;
    }
}
