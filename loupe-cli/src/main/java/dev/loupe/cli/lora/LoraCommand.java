package dev.loupe.cli.lora;

import dev.loupe.analysis.lora.AdapterReading;
import dev.loupe.cli.ModelRef;
import dev.loupe.cli.UsageException;
import dev.loupe.cli.model.BosText;
import dev.loupe.cli.model.LoadedGpt;
import dev.loupe.model.lora.AdapterFiles;
import dev.loupe.model.lora.LoraModel;
import dev.loupe.tensor.io.AtomicFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code loupe lora}: reads a LoRA adapter as circuits and writes an HTML + JSON report. */
@Command(name = "lora", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
                "Read a LoRA adapter as circuits: per adapted module the singular values and effective rank of",
                "ΔW = (α/r)·(B·A)ᵀ; which heads' OV and QK circuits changed most (Frobenius norm of the change of",
                "W_OV and W_QK per head) and how their OV copying scores moved; and the tokens whose logits the",
                "update raises and lowers most on a probe text. Writes lora_report.json and lora_report.html",
                "into --out and prints a short summary.",
                ""},
        footer = {"", "Example:", "  loupe lora --model gpt2 --adapter runs/gpt2-lora --text \"To be, or not to be\""})
public final class LoraCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR|NAME", converter = ModelRef.Converter.class,
            description = "The base model the adapter was trained on (with a tokenizer).")
    ModelRef model;
    @Option(names = "--adapter", required = true, paramLabel = "DIR", description = "The LoRA adapter directory (PEFT layout).")
    Path adapter;
    @Option(names = "--text", required = true, paramLabel = "TEXT", description = "Probe text on which the logit changes are measured.")
    String text;
    @Option(names = "--top", defaultValue = "10", description = "Tokens on each side and heads listed (default: ${DEFAULT-VALUE}).")
    int top;
    @Option(names = "--out", paramLabel = "DIR", description = "Where to write the report (default: the adapter directory).")
    Path out;

    static final String JSON_FILE = "lora_report.json", HTML_FILE = "lora_report.html";

    @Override
    public Integer call() {
        if (top < 1) throw new UsageException("--top must be at least 1, got " + top);
        LoadedGpt base = LoadedGpt.open(model);
        int[] ids = BosText.encode(base.requireTokenizer("--text"), text, false).ids();
        if (ids.length == 0) throw new UsageException("--text has no tokens");
        if (ids.length > base.model().config().nPositions()) {
            throw new UsageException("--text has " + ids.length + " tokens, more than the model's context " + base.model().config().nPositions());
        }
        AdapterFiles.Loaded a = AdapterFiles.read(adapter);
        var config = base.model().config();
        LoraModel lora;
        try {
            lora = LoraModel.load(config, base.model().parameters(), a.config(), a.tensors(), 0);
        } catch (dev.loupe.LoupeException e) {
            throw new dev.loupe.LoupeException(adapter + ": " + e.getMessage(), e);
        }
        System.err.printf("reading %d adapted modules and %d heads…%n", lora.adapters().size(),
                config.nLayer() * config.nHead());
        AdapterReading.Result r = AdapterReading.read(lora, ids, top);
        Path dir = out != null ? out : adapter;
        try {
            java.nio.file.Files.createDirectories(dir);
        } catch (java.io.IOException e) {
            throw new dev.loupe.LoupeException("cannot create --out " + dir + ": " + e.getMessage(), e);
        }
        AtomicFiles.writeString(dir.resolve(JSON_FILE), LoraReport.json(a.config(), r, base::show) + "\n");
        AtomicFiles.writeString(dir.resolve(HTML_FILE), LoraReport.html("LoRA adapter " + adapter.getFileName() + " on " + model,
                a.config(), r, base::show, top));
        AdapterReading.ModuleUpdate biggest = r.modules().stream()
                .max(java.util.Comparator.comparingDouble(AdapterReading.ModuleUpdate::relativeNorm)).orElseThrow();
        AdapterReading.HeadChange head = r.heads().getFirst();
        System.out.printf("largest relative update: %s (‖ΔW‖/‖W‖ %.3g, effective rank %.2f of %d)%n", biggest.module(),
                biggest.relativeNorm(), biggest.effectiveRank(), a.config().r());
        System.out.printf("most changed head: L%dH%d (ΔOV %.3g relative, copying %.3f → %.3f)%n", head.layer(), head.head(),
                head.ovRelative(), head.copyingBefore(), head.copyingAfter());
        System.out.printf("raised most: %s; lowered most: %s%n", base.show(r.raised().getFirst().token()),
                base.show(r.lowered().getFirst().token()));
        System.out.printf("report: %s, %s%n", dir.resolve(HTML_FILE), dir.resolve(JSON_FILE));
        return 0;
    }
}
