package dev.loupe.cli.interventions;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.analysis.interventions.Component;
import dev.loupe.analysis.interventions.ExpertIntervention;
import dev.loupe.analysis.interventions.HeadAblation;
import dev.loupe.analysis.interventions.Intervention;
import dev.loupe.cli.UsageException;
import dev.loupe.cli.model.LoadedGpt;
import dev.loupe.cli.model.ModelText;
import dev.loupe.experiments.report.Heatmap;
import dev.loupe.model.ActivationCache;
import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.ToDoubleFunction;

/** {@code loupe ablate}: knock components out and measure what changes. */
@Command(name = "ablate", mixinStandardHelpOptions = true,
        description = {
                "Ablation: knock out heads, MLP neurons or whole layers and measure the metric before and after.",
                "Zero-ablation sets the component's output to 0; mean-ablation to its mean over the text's positions. "
                        + "A head is its z (blocks.L.attn.hook_z[:, :, h]), a neuron its activation (blocks.L.mlp.hook_post), "
                        + "a layer all its heads and its MLP output. Names follow TransformerLens: L1H3, L0N17, L1.",
                "With --all-heads, every head is ablated on its own: a layer × head table and heatmap of the metric change.",
                "Mixture-of-experts models: --experts L0E3 zero-ablates expert 3 of layer 0 (every slot that chose it gets weight 0, "
                        + "the other chosen experts keep theirs); --force-expert L0E3 sends every position of layer 0 to expert 3 alone "
                        + "(weight 1). A layer L ablates the mixture's whole output.",
                ""},
        footer = {"%nExamples:",
                "  loupe ablate --model runs/quickstart/attn-only-2l --text abcdefabcdef --heads L1H0,L0H1",
                "  loupe ablate --model runs/quickstart/attn-only-2l --text abcdefabcdef --all-heads --out ablation",
                "  loupe ablate --model runs/shakespeare --text \"To be or not to be\" --neurons L0N17 --mode mean",
                "  loupe ablate --model runs/moe --text \"To be or not to be\" --experts L0E3",
                "  loupe ablate --model gpt2 --text \"The Eiffel Tower is in\" --layers L3 \\",
                "      --metric logit-diff --target \" Paris\" --counterfactual \" Rome\"",
                "%nWith --out DIR: DIR/ablate.json (every number), DIR/ablate.npy ([n_layer, n_head] metric change, with",
                "--all-heads), DIR/ablate.html (the heatmap with its colour bar).",
                "Exit codes: 0 ok, 1 failure (bad model, a token that is not one token), 2 bad usage."})
public final class AblateCommand implements Callable<Integer> {
    @Mixin
    ModelText input;
    @Mixin
    dev.loupe.cli.model.WeightsOption weights;

    @Mixin
    MetricOptions metric;

    @Option(names = "--heads", split = ",", paramLabel = "LxHy", description = "Heads to ablate together, e.g. L1H3,L0H2.")
    List<String> heads = new ArrayList<>();

    @Option(names = "--neurons", split = ",", paramLabel = "LxNy", description = "MLP neurons to ablate together, e.g. L0N17.")
    List<String> neurons = new ArrayList<>();

    @Option(names = "--layers", split = ",", paramLabel = "Lx", description = "Whole layers (all heads + MLP output) to ablate together, e.g. L0,L1.")
    List<String> layers = new ArrayList<>();

    @Option(names = "--experts", split = ",", paramLabel = "LxEy", description = "Experts of mixture-of-experts layers to zero-ablate together, e.g. L0E3.")
    List<String> experts = new ArrayList<>();

    @Option(names = "--force-expert", split = ",", paramLabel = "LxEy",
            description = "Send every position of layer x to expert y alone (weight 1), e.g. L1E0; one per layer.")
    List<String> forced = new ArrayList<>();

    @Option(names = "--all-heads", description = "Ablate every head on its own: a layer × head table and heatmap.")
    boolean allHeads;

    @Option(names = "--mode", defaultValue = "zero", paramLabel = "zero|mean",
            description = "zero: the output ← 0; mean: ← its mean over the text's positions (default: ${DEFAULT-VALUE}).")
    String mode;

    @Option(names = "--out", paramLabel = "DIR", description = "Write ablate.json, ablate.npy and ablate.html into DIR.")
    Path out;

    @Override
    public Integer call() throws Exception {
        if (!mode.equals("zero") && !mode.equals("mean")) throw new UsageException("--mode is zero or mean, got '" + mode + "'");
        List<String> names = new ArrayList<>(heads);
        names.addAll(neurons);
        names.addAll(layers);
        names.addAll(experts);
        names.addAll(forced);
        if (names.isEmpty() == !allHeads) {
            throw new UsageException(allHeads ? "--all-heads ablates every head: give no --heads/--neurons/--layers/--experts with it"
                    : "say what to ablate: --heads L1H3, --neurons L0N17, --layers L1, --experts L0E3, --force-expert L0E3 or --all-heads");
        }
        if (mode.equals("mean") && !experts.isEmpty()) {
            throw new UsageException("--experts: an expert has no mean to ablate to (its output exists only where it is routed); use --mode zero");
        }
        ModelText.Opened opened = input.open(weights.format());
        LoadedGpt m = opened.model();
        Gpt gpt = m.model();
        GptConfig c = gpt.config();
        int[] ids = opened.input().ids();
        List<Component> components = new ArrayList<>();
        for (String s : heads) components.add(expect(s, Component.Kind.HEAD, "--heads").checkIn(c));
        for (String s : neurons) components.add(expect(s, Component.Kind.NEURON, "--neurons").checkIn(c));
        for (String s : layers) components.add(expect(s, Component.Kind.LAYER, "--layers").checkIn(c));
        for (String s : experts) components.add(expect(s, Component.Kind.EXPERT, "--experts").checkIn(c));
        List<Component> forcedExperts = new ArrayList<>();
        for (String s : forced) forcedExperts.add(expect(s, Component.Kind.EXPERT, "--force-expert").checkIn(c));
        if (forcedExperts.stream().map(Component::layer).distinct().count() < forcedExperts.size()) {
            throw new UsageException("--force-expert: one expert per layer (every position goes to it alone)");
        }
        ToDoubleFunction<Tensor> f = metric.metric(m, ids);
        double before = f.applyAsDouble(gpt.logits(ids, 1, ids.length).copy());

        ActivationCache reference = null;
        if (mode.equals("mean")) {
            Set<String> hooks = new LinkedHashSet<>();
            if (allHeads) for (int l = 0; l < c.nLayer(); l++) hooks.addAll(Component.head(l, 0).hooks(c));
            for (Component k : components) hooks.addAll(k.hooks(c));
            reference = HeadAblation.reference(gpt, ids, List.copyOf(hooks));
        }
        ObjectNode root = OutDir.JSON.createObjectNode();
        root.put("metric", metric.describe(m, ids.length)).put("mode", mode).put("tokens", ids.length).put("before", before);
        System.out.println("metric   " + metric.describe(m, ids.length) + "; " + mode + "-ablation" + (mode.equals("mean") ? " (mean over the text's positions)" : ""));
        System.out.println("text     " + opened.input().describe(m));
        System.out.printf(Locale.ROOT, "before   %.4f%n", before);
        OutDir files = out == null ? null : new OutDir(out);
        if (allHeads) {
            double[][] after = HeadAblation.everyHead(gpt, ids, reference, f);
            double[][] change = new double[after.length][];
            for (int l = 0; l < after.length; l++) {
                change[l] = new double[after[l].length];
                for (int h = 0; h < after[l].length; h++) change[l][h] = after[l][h] - before;
            }
            System.out.println("metric change (after − before) with each head ablated on its own:");
            OutDir.printGrid(change, "H", "%+9.4f");
            OutDir.grid(root.putArray("after"), after);
            OutDir.grid(root.putArray("change"), change);
            if (files != null) {
                files.npy("ablate", change);
                files.html("ablate", Heatmap.page("loupe ablate: every head", "Metric: " + metric.describe(m, ids.length) + ", "
                        + mode + "-ablation; before " + String.format(Locale.ROOT, "%.4f", before) + ". Cells: after − before.",
                        List.of(new Heatmap("metric change per head (layer × head)", OutDir.labels("L", c.nLayer()),
                                OutDir.labels("H", c.nHead()), change))));
            }
        } else {
            List<Intervention> knock = new ArrayList<>();
            for (Component k : components) knock.addAll(k.ablation(c, reference));
            for (Component k : forcedExperts) knock.addAll(ExpertIntervention.force(c, k.layer(), k.index()));
            double after = f.applyAsDouble(Intervention.run(gpt, ids, 1, ids.length, knock));
            String ablated = String.join(",", components.stream().map(Component::toString).toList());
            String forcing = String.join(",", forcedExperts.stream().map(Component::toString).toList());
            String which = ablated.isEmpty() ? forcing : forcing.isEmpty() ? ablated : ablated + "," + forcing;
            String done = (ablated.isEmpty() ? "" : ablated + " ablated") + (ablated.isEmpty() || forcing.isEmpty() ? "" : ", ")
                    + (forcing.isEmpty() ? "" : forcing + " forced");
            System.out.printf(Locale.ROOT, "after    %.4f   with %s (change %+.4f)%n", after, done, after - before);
            root.put("ablated", ablated).put("after", after).put("change", after - before);
            if (!forcing.isEmpty()) root.put("forced", forcing);
            if (files != null) {
                files.npy("ablate", new double[][] {{before, after}});
                files.html("ablate", Heatmap.page("loupe ablate: " + which, "Metric: " + metric.describe(m, ids.length) + ", " + mode + "-ablation.",
                        List.of(new Heatmap("metric before and after", List.of(which), List.of("before", "after"), new double[][] {{before, after}}))));
            }
        }
        if (files != null) {
            files.json("ablate", root);
            System.out.println(files.summary());
        }
        return 0;
    }

    private static Component expect(String name, Component.Kind kind, String option) {
        Component k;
        try {
            k = Component.parse(name);
        } catch (dev.loupe.LoupeException e) {
            throw new UsageException(option + ": " + e.getMessage());
        }
        if (k.kind() != kind) throw new UsageException(option + " takes " + kind.name().toLowerCase(Locale.ROOT) + " names, got " + k);
        return k;
    }
}
