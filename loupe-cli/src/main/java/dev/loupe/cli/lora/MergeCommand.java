package dev.loupe.cli.lora;

import dev.loupe.LoupeException;
import dev.loupe.cli.ModelRef;
import dev.loupe.model.io.ModelDirectory;
import dev.loupe.tokens.Tokenizers;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.Callable;

/** {@code loupe merge}: a model directory with a LoRA adapter folded into its weights. */
@Command(name = "merge", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
                "Merge a LoRA adapter into its base model (PEFT's merge_and_unload): each adapted Conv1D weight",
                "becomes W + (α/r)·(B·A)ᵀ and --out is a plain model directory (config.json, model.safetensors and",
                "the tokenizer) that every command reads, with the adapted model's logits and no adapter cost.",
                ""},
        footer = {"", "Example:", "  loupe merge --model gpt2 --adapter runs/gpt2-lora --out models/gpt2-merged"})
public final class MergeCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR|NAME", converter = ModelRef.Converter.class,
            description = "The base model the adapter was trained on: a model directory or a fetched hub name.")
    ModelRef model;
    @Mixin
    AdapterOption adapter;
    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Directory for the merged model (must not exist or be empty).")
    Path out;

    @Override
    public Integer call() {
        if (adapter.adapter == null) throw new dev.loupe.cli.UsageException("merge needs --adapter DIR");
        Path dir = model.dir();
        try (var s = Files.isDirectory(out) ? Files.list(out) : java.util.stream.Stream.<Path>empty()) {
            if (Files.exists(out) && (!Files.isDirectory(out) || s.findAny().isPresent())) {
                throw new LoupeException("--out " + out + " exists and is not an empty directory");
            }
        } catch (IOException e) {
            throw new LoupeException("cannot read --out " + out + ": " + e.getMessage(), e);
        }
        ModelDirectory.LoadedModel merged = adapter.read(dir);
        Path tmp = out.resolveSibling("." + out.getFileName() + ".merge-tmp");
        try {
            deleteTree(tmp);
            ModelDirectory.write(tmp, merged.config(), merged.weights());
            Tokenizers.load(dir).ifPresent(t -> Tokenizers.save(t, tmp));
            Files.deleteIfExists(out);
            Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new LoupeException("cannot write " + out + ": " + e.getMessage(), e);
        }
        System.err.printf("merged %s into %s: %s%n", adapter.adapter, dir, out);
        return 0;
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (var s = Files.walk(p)) {
            for (Path q : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(q);
        }
    }
}
