package dev.loupe.cli.attention;

import dev.loupe.LoupeException;
import dev.loupe.cli.UsageException;
import dev.loupe.cli.model.BosText;
import dev.loupe.cli.model.LoadedGpt;
import dev.loupe.cli.model.ModelText;
import dev.loupe.experiments.report.AttentionHeatmap;
import dev.loupe.model.ActivationCache;
import dev.loupe.model.Gpt;
import dev.loupe.tensor.Tensor;
import dev.loupe.tensor.io.AtomicFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code loupe attention}: attention heatmaps of a model's heads on a text, as PNG, SVG or one HTML page. */
@Command(name = "attention", mixinStandardHelpOptions = true,
        description = {"Draw attention patterns: for each head, a heatmap with the text's tokens on both axes "
                + "(rows: the token attending; columns: the token attended to; dark = much attention).",
                "",
                "The output format follows --out's extension: .html is one self-contained page (no network needed) "
                        + "with every head asked for; .png and .svg draw one head, so they need --layer and --head.",
                "%nThe text is used as given; --prepend-bos puts the end-of-text token in front, and the output says which."},
        footer = {"", "Examples:",
                "  loupe attention --model runs/quickstart/attn-only-2l --text \"abcabc\" --out attention.html",
                "  loupe attention --model gpt2 --text \"The cat sat. The cat\" --layer 5 --head 1 --out head5.1.png"})
public final class AttentionCommand implements Callable<Integer> {

    @Mixin
    ModelText modelText;
    @Mixin
    dev.loupe.cli.model.WeightsOption weights;


    @Option(names = "--layer", paramLabel = "L", description = "Only this layer (default: every layer; required for .png/.svg).")
    Integer layer;

    @Option(names = "--head", paramLabel = "H", description = "Only this head (default: every head; required for .png/.svg).")
    Integer head;


    @Option(names = "--out", required = true, paramLabel = "FILE", description = "Where to write: FILE.html, FILE.png or FILE.svg.")
    Path out;

    @Override
    public Integer call() {
        String name = out.getFileName().toString().toLowerCase(Locale.ROOT);
        String format = name.endsWith(".html") ? "html" : name.endsWith(".png") ? "png" : name.endsWith(".svg") ? "svg" : null;
        if (format == null) throw new UsageException("--out must end in .html, .png or .svg, got " + out);
        if (!format.equals("html") && (layer == null || head == null)) {
            throw new UsageException("--out " + format + " draws one head: give --layer and --head (or write .html for many)");
        }
        ModelText.Opened opened = modelText.open(weights.format());
        LoadedGpt m = opened.model();
        Gpt gpt = m.model();
        int layers = gpt.config().nLayer(), heads = gpt.config().nHead();
        if (layer != null && (layer < 0 || layer >= layers)) throw new UsageException("--layer must be in 0.." + (layers - 1) + ", got " + layer);
        if (head != null && (head < 0 || head >= heads)) throw new UsageException("--head must be in 0.." + (heads - 1) + ", got " + head);
        BosText in = opened.input();
        int[] ids = in.ids();
        if (ids.length > gpt.config().nPositions()) {
            throw new LoupeException("the text has " + ids.length + " tokens but the model's context is " + gpt.config().nPositions());
        }
        List<String> tokens = new ArrayList<>();
        for (int id : ids) tokens.add(m.tokenizer().get().tokenText(id));

        ActivationCache cache = gpt.runWithCache(ids, 1, ids.length, ActivationCache.endingWith("attn.hook_pattern")).cache();
        List<AttentionHeatmap> maps = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            if (layer != null && l != layer) continue;
            Tensor p = cache.get("blocks." + l + ".attn.hook_pattern"); // [1, H, T, T]
            for (int h = 0; h < heads; h++) {
                if (head != null && h != head) continue;
                maps.add(AttentionHeatmap.of(dev.loupe.analysis.circuits.HeadId.name(l, h), tokens, p, h));
            }
        }
        var kind = gpt.config().attention();
        String kindNote = kind.isSoftmax() ? "" : " " + kind.kindName() + " attention: the effective mixing weights A (z = A·V)"
                + (kind.kind() == dev.loupe.model.AttentionKind.Kind.LEAST_SQUARES ? ", which may be negative (colours clamp to 0 … 1; hover for the value)." : ".");
        switch (format) {
            case "html" -> AtomicFiles.writeString(out, AttentionHeatmap.html("Attention patterns of " + m.dir().getFileName(),
                    in.describe(m) + ". " + tokens.size() + " tokens." + kindNote, maps));
            case "svg" -> AtomicFiles.writeString(out, maps.getFirst().svg());
            default -> AtomicFiles.writeBytes(out, maps.getFirst().png());
        }
        System.out.println(in.describe(m));
        if (!kindNote.isEmpty()) System.out.println(kindNote.strip());
        System.out.printf(Locale.ROOT, "Wrote %d heatmap%s of %d tokens to %s%n", maps.size(), maps.size() == 1 ? "" : "s", tokens.size(), out);
        return 0;
    }
}
