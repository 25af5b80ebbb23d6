package dev.loupe.cli.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.loupe.cli.UsageException;
import dev.loupe.cli.bench.StepTimes;
import dev.loupe.cli.bench.TorchPeer;
import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.model.WeightFormat;
import dev.loupe.tensor.Parallel;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The options and steps shared by {@code bench generate} and {@code bench prefill}: the model shape
 * (GPT-2 small's by default, random weights), the weight formats to time in the same run, and the
 * PyTorch peer ({@code bench/torch_generate.py}) run on the same shape.
 */
public final class InferenceBenchShape {
    @Option(names = "--layers", defaultValue = "12", description = "Blocks (default: ${DEFAULT-VALUE}).")
    int layers;
    @Option(names = "--d-model", defaultValue = "768", description = "Residual width (default: ${DEFAULT-VALUE}).")
    int dModel;
    @Option(names = "--heads", defaultValue = "12", description = "Attention heads (default: ${DEFAULT-VALUE}).")
    int heads;
    @Option(names = "--vocab", defaultValue = "50257", description = "Vocabulary size (default: ${DEFAULT-VALUE}).")
    int vocab;
    @Option(names = "--weights", defaultValue = "f32,bf16", split = ",", paramLabel = "FORMAT",
            description = "Weight formats to time, one after the other in the same run: f32, bf16 (default: ${DEFAULT-VALUE}).")
    List<String> weights;
    @Option(names = "--no-peer", description = "Skip the PyTorch peer.")
    boolean noPeer;

    /** The formats asked for, in order, without repeats; a usage error for sizes or names that cannot work. */
    List<WeightFormat> formats() {
        if (layers < 1 || dModel < 1 || heads < 1 || dModel % heads != 0 || vocab < 1) {
            throw new UsageException("sizes must be positive and --d-model a multiple of --heads");
        }
        List<WeightFormat> out = new ArrayList<>();
        for (String w : weights) {
            WeightFormat f;
            try {
                f = WeightFormat.parse(w);
            } catch (dev.loupe.LoupeException e) {
                throw new UsageException("--weights: " + e.getMessage());
            }
            if (!out.contains(f)) out.add(f);
        }
        return out;
    }

    /** A model of this shape with random weights (seed 1) holding context {@code ctx}. */
    Gpt create(int ctx) {
        GptConfig c = GptConfig.gpt2(vocab, Math.max(1024, ctx), dModel, layers, heads);
        System.err.printf(Locale.ROOT, "bench: creating a %d-layer d_model %d model with random weights…%n", layers, dModel);
        return Gpt.create(c, 1);
    }

    /** {@code base} (float32) with its weight matrices in format {@code f}. */
    static Gpt in(Gpt base, WeightFormat f) {
        return f == WeightFormat.BF16 ? base.toBf16() : base;
    }

    /** The shape for the headline, e.g. "12 layers × d_model 768, vocab 50257". */
    String describe() {
        return String.format(Locale.ROOT, "%d layers × d_model %d, vocab %d, %d threads", layers, dModel, vocab, Parallel.threads());
    }

    /**
     * Runs the PyTorch peer in {@code mode} (decode or prefill) with {@code args} and prints its row,
     * or a line saying why there is none; returns its step times, or null.
     */
    StepTimes peer(String mode, int ctx, List<String> args) {
        return peer(mode, ctx, args, 1);
    }

    /** As above, the rate column counting {@code unitsPerStep} per step. */
    StepTimes peer(String mode, int ctx, List<String> args, double unitsPerStep) {
        if (noPeer) return null;
        List<String> all = new ArrayList<>(List.of("--mode", mode, "--layers", "" + layers, "--d", "" + dModel,
                "--heads", "" + heads, "--vocab", "" + vocab, "--ctx", "" + Math.max(1024, ctx)));
        all.addAll(args);
        String out;
        try {
            System.err.println("bench: PyTorch peer…");
            out = TorchPeer.runScript("/bench/torch_generate.py", Parallel.threads(), all);
        } catch (TorchPeer.Absent e) {
            System.out.println("No peer: " + e.getMessage() + "; Loupe's figures alone.");
            return null;
        }
        try {
            JsonNode j = new ObjectMapper().readTree(out);
            StepTimes t = StepTimes.fromJson(j);
            System.out.println(String.format(Locale.ROOT, "  %-11s", "torch f32") + t.row(unitsPerStep)
                    + String.format(Locale.ROOT, "   (torch %s, %d threads)", j.get("version").asText(), j.get("threads").asInt()));
            return t;
        } catch (IOException | NullPointerException e) {
            System.out.println("No peer: unreadable output from the torch peer; Loupe's figures alone.");
            return null;
        }
    }

    /** One Loupe row, e.g. "  loupe bf16  …". */
    static void row(WeightFormat f, StepTimes t) {
        row(f, t, 1);
    }

    /** One Loupe row with the rate counting {@code unitsPerStep} per step. */
    static void row(WeightFormat f, StepTimes t, double unitsPerStep) {
        System.out.println(String.format(Locale.ROOT, "  %-11s", "loupe " + f.label()) + t.row(unitsPerStep));
    }
}
