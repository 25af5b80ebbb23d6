package dev.loupe.cli.model;

import dev.loupe.LoupeException;
import dev.loupe.cli.ModelRef;
import dev.loupe.cli.UsageException;
import dev.loupe.model.Gpt;
import dev.loupe.tensor.Tensor;
import dev.loupe.tensor.io.Npy;
import picocli.CommandLine.ArgGroup;
import dev.loupe.cli.sae.SaeSpliceOption;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code loupe logits}: one forward pass, the next-token logits at every position. */
@Command(name = "logits", mixinStandardHelpOptions = true,
        description = {
                "Show the tokens a model predicts next at every position of a text or a list of token ids (one forward "
                        + "pass; the largest logits and their softmax probabilities).",
                "With --out, also save all logits as a float32 .npy array [T, vocab] that numpy reads with np.load.",
                ""},
        footer = {"%nExamples:",
                "  loupe logits --model gpt2 --text \"The cat sat on the\" --top 3",
                "  loupe logits --model runs/shakespeare --ids 5,17,2 --out logits.npy",
                "  python3 -c \"import numpy as np; print(np.load('logits.npy').shape)\""})
public final class LogitsCommand implements Callable<Integer> {
    @Mixin
    NonFiniteOption nonFinite;
    @Mixin
    WeightsOption weights;

    @Option(names = "--model", required = true, paramLabel = "DIR|NAME", converter = ModelRef.Converter.class,
            description = "Model directory (config.json + model.safetensors, tokenizer files for --text), "
                    + "or a hub name fetched with 'loupe fetch' (gpt2).")
    ModelRef model;
    @picocli.CommandLine.Mixin
    dev.loupe.cli.lora.AdapterOption adapter;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    static final class Input {
        @Option(names = "--text", paramLabel = "TEXT", description = "Text to encode with the model's tokenizer.")
        String text;

        @Option(names = "--ids", paramLabel = "ID", split = ",", description = "Token ids, comma separated.")
        int[] ids;
    }

    @Option(names = "--out", paramLabel = "FILE.npy", description = "Write the logits [T, vocab] as float32 .npy.")
    Path out;

    @Option(names = "--top", paramLabel = "N", defaultValue = "5",
            description = "Predictions shown per position (default: ${DEFAULT-VALUE}; 0 shows none).")
    int top;

    @Mixin
    SaeSpliceOption sae;

    @Override
    public Integer call() {
        if (top < 0) throw new UsageException("--top must be ≥ 0, got " + top);
        if (out != null && !out.getFileName().toString().endsWith(".npy")) {
            throw new UsageException("--out must name a .npy file, got " + out);
        }
        LoadedGpt m = LoadedGpt.open(model, nonFinite.allowed(), adapter, weights.format());
        int[] ids = input.ids != null ? input.ids : m.requireTokenizer("--text").encode(input.text);
        if (ids.length == 0) throw new LoupeException("no tokens: the input is empty");
        Gpt gpt = m.model();
        sae.attach(gpt);
        int v = gpt.config().vocabSize();
        Tensor logits = gpt.logits(ids, 1, ids.length).reshape(ids.length, v);   // [T, V]
        if (out != null) {
            Npy.write(out, logits);
            System.out.printf(Locale.ROOT, "wrote logits [%d, %d] float32 to %s%n", ids.length, v, out);
        }
        if (top > 0) {
            for (int t = 0; t < ids.length; t++) System.out.println(line(m, t, ids[t], logits.select(0, t).toArray()));
        }
        return 0;
    }

    /** "  3 ' sat' → ' on' 12.31 (41.2%), …" */
    private String line(LoadedGpt m, int t, int id, float[] z) {
        float max = Float.NEGATIVE_INFINITY;
        for (float f : z) max = Math.max(max, f);
        double sum = 0;
        for (float f : z) sum += Math.exp(f - max);
        int[] best = topIndices(z, Math.min(top, z.length));
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%4d %-16s →", t, m.show(id)));
        for (int i = 0; i < best.length; i++) {
            float f = z[best[i]];
            sb.append(i == 0 ? " " : ", ").append(m.show(best[i]))
                    .append(String.format(Locale.ROOT, " %.3f (%.1f%%)", f, 100 * Math.exp(f - max) / sum));
        }
        return sb.toString();
    }

    /** Indices of the n largest values, largest first, ties by smaller index (partial selection). */
    static int[] topIndices(float[] z, int n) {
        int[] best = new int[n];
        int size = 0;
        for (int i = 0; i < z.length; i++) {
            if (size == n && z[i] <= z[best[n - 1]]) continue;
            int p = size < n ? size++ : n - 1;
            while (p > 0 && z[best[p - 1]] < z[i]) {
                best[p] = best[p - 1];
                p--;
            }
            best[p] = i;
        }
        return best;
    }
}
