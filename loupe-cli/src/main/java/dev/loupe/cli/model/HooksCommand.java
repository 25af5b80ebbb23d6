package dev.loupe.cli.model;

import dev.loupe.cli.ModelRef;
import dev.loupe.cli.UsageException;
import dev.loupe.model.GptConfig;
import dev.loupe.model.HookPoint;
import dev.loupe.model.HookPoints;
import dev.loupe.model.io.ModelDirectory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.List;
import java.util.concurrent.Callable;

/** {@code loupe hooks}: the hook-name table of a model (names, shapes for a given T, meanings). */
@Command(name = "hooks", mixinStandardHelpOptions = true,
        description = {
                "List every hook point of a model: the TransformerLens name to attach a hook or cache to, the",
                "activation's shape for a batch of --batch sequences of --seq tokens (batch outer), and what it is.",
                "",
                "In Java: gpt.hooks().add(NAME, hook) inside try-with-resources, or gpt.runWithCache(ids, B, T, filter).",
                "attn.hook_result (each head's output) is computed only when something hooks it.",
                "Only the config is read; no weights are loaded. See docs/hooks.md.",
                ""},
        footer = {"%nExamples:",
                "  loupe hooks --model runs/shakespeare",
                "  loupe hooks --model gpt2 --seq 1024 | grep 'blocks.0\\.'",
                "%nExit codes: 0 ok, 1 failure (bad model directory), 2 bad usage."})
public final class HooksCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "DIR|NAME", converter = ModelRef.Converter.class,
            description = "Model directory, or a hub name fetched with 'loupe fetch'.")
    ModelRef model;

    @Option(names = "--seq", paramLabel = "T", defaultValue = "8", description = "Sequence length T used in the shapes (default: ${DEFAULT-VALUE}).")
    int seq;

    @Option(names = "--batch", paramLabel = "B", defaultValue = "1", description = "Batch size B used in the shapes (default: ${DEFAULT-VALUE}).")
    int batch;

    @Override
    public Integer call() {
        if (seq < 1 || batch < 1) throw new UsageException("--seq and --batch must be at least 1");
        GptConfig c = ModelDirectory.readConfig(model.dir());
        List<HookPoint> table = HookPoints.table(c, batch, seq);
        int nameWidth = table.stream().mapToInt(p -> p.name().length()).max().orElse(4);
        int shapeWidth = table.stream().mapToInt(p -> p.shapeText().length()).max().orElse(5);
        System.out.printf("%d hook points of %s (%d layers, %d heads, d_model %d, mlp %s, %s-LN), shapes for B = %d, T = %d%n",
                table.size(), model.displayName(), c.nLayer(), c.nHead(), c.dModel(), c.mlp().name().toLowerCase(),
                c.norm().name().toLowerCase(), batch, seq);
        System.out.printf("Tokens are used as given: a BOS token is part of T only if you prepend it.%n%n");
        System.out.printf("%-" + nameWidth + "s  %-" + shapeWidth + "s  %s%n", "name", "shape", "meaning");
        for (HookPoint p : table) System.out.printf("%-" + nameWidth + "s  %-" + shapeWidth + "s  %s%n", p.name(), p.shapeText(), p.meaning());
        return 0;
    }
}
