package dev.loupe.cli.interventions;

import dev.loupe.LoupeException;
import dev.loupe.analysis.interventions.Intervention;
import dev.loupe.analysis.interventions.Steering;
import dev.loupe.cli.ModelRef;
import dev.loupe.cli.UsageException;
import dev.loupe.cli.model.LoadedGpt;
import dev.loupe.cli.model.NonFiniteOption;
import dev.loupe.model.Gpt;
import dev.loupe.model.Sampler;
import dev.loupe.tensor.Tensor;
import dev.loupe.tensor.io.Npy;
import dev.loupe.tokens.Tokenizer;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code loupe steer}: generation with a vector added to an activation (activation addition). */
@Command(name = "steer", mixinStandardHelpOptions = true,
        description = {
                "Activation addition (Turner et al. 2023): generate from a prompt while adding scale · v to the activation "
                        + "at --hook, at every position of every step; the unsteered continuation (same sampling, same seed) "
                        + "is printed first for comparison.",
                "v is read from a .npy file ([width], float32) or made from two texts: the mean over positions of the hook's "
                        + "activation on --to minus the same on --from.",
                "Hooks do not run in cached decoding, so each step is a full forward over the last n_positions tokens.",
                ""},
        footer = {"%nExamples:",
                "  loupe steer --model runs/shakespeare --prompt \"ROMEO:\" --hook blocks.1.hook_resid_pre \\",
                "      --from \"hate\" --to \"love\" --scale 4 --max-tokens 60",
                "  loupe steer --model runs/quickstart/attn-only-2l --prompt abc --hook blocks.1.hook_resid_post --from aaa --to bbb --scale 2",
                "%nExit codes: 0 ok, 1 failure (bad model, vector of the wrong width), 2 bad usage."})
public final class SteerCommand implements Callable<Integer> {
    @Mixin
    NonFiniteOption nonFinite;

    @Option(names = "--model", required = true, paramLabel = "DIR|NAME", converter = ModelRef.Converter.class,
            description = "Model directory with its tokenizer, or a hub name fetched with 'loupe fetch'.")
    ModelRef model;

    @Option(names = "--prompt", required = true, paramLabel = "TEXT", description = "The text to continue.")
    String prompt;

    @Option(names = "--hook", required = true, paramLabel = "NAME",
            description = "A [batch, position, width] hook point, e.g. blocks.1.hook_resid_pre ('loupe hooks' lists them).")
    String hook;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Vector vector;

    static final class Vector {
        @Option(names = "--vector", paramLabel = "FILE.npy", description = "The steering vector, float32 [width].")
        Path file;

        @ArgGroup(exclusive = false)
        Texts texts;
    }

    static final class Texts {
        @Option(names = "--from", required = true, paramLabel = "TEXT", description = "Text A: v = mean activation on --to − on --from.")
        String from;

        @Option(names = "--to", required = true, paramLabel = "TEXT", description = "Text B (the direction steered towards).")
        String to;
    }

    @Option(names = "--scale", defaultValue = "1.0", paramLabel = "α", description = "The coefficient of v (default: ${DEFAULT-VALUE}).")
    float scale;

    @Option(names = "--max-tokens", defaultValue = "40", paramLabel = "N", description = "New tokens (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--temperature", defaultValue = "0", paramLabel = "T", description = "Softmax temperature; 0 = greedy (default: ${DEFAULT-VALUE}).")
    float temperature;

    @Option(names = "--top-k", defaultValue = "0", paramLabel = "K", description = "Sample among the K likeliest; 0 = all (default: ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() {
        if (maxTokens < 1) throw new UsageException("--max-tokens must be at least 1, got " + maxTokens);
        if (temperature < 0) throw new UsageException("--temperature must be ≥ 0, got " + temperature);
        LoadedGpt m = LoadedGpt.open(model, nonFinite.allowed());
        Gpt gpt = m.model();
        Tokenizer tok = m.requireTokenizer("--prompt");
        int[] ids = tok.encode(prompt);
        if (ids.length == 0) throw new LoupeException("the prompt encodes to no tokens: give at least one character");
        gpt.hooks().add(hook, (a, n) -> a).close(); // an unknown hook name fails here, saying what names look like
        Tensor v;
        String source;
        if (vector.file != null) {
            v = Npy.read(vector.file);
            source = vector.file.toString();
        } else {
            v = Steering.difference(gpt, hook, tok.encode(vector.texts.from), tok.encode(vector.texts.to));
            source = "mean(" + hook + " on \"" + vector.texts.to + "\") − mean(on \"" + vector.texts.from + "\")";
        }
        Intervention add = Steering.add(hook, v, scale);
        int[] plain = Steering.generate(gpt, sampler(), ids, maxTokens, List.of(), t -> notEnd(tok, t));
        int[] steered = Steering.generate(gpt, sampler(), ids, maxTokens, List.of(add), t -> notEnd(tok, t));
        System.out.printf(Locale.ROOT, "vector   %s, |v| = %.4f, scale %s, at %s%n", source, norm(v), scale, hook);
        System.out.println("unsteered: " + tok.decode(plain));
        System.out.println("steered:   " + tok.decode(steered));
        return 0;
    }

    private Sampler sampler() {
        try {
            return new Sampler(temperature, topK, 1f, seed);
        } catch (LoupeException e) {
            throw new UsageException(e.getMessage());
        }
    }

    private static boolean notEnd(Tokenizer tok, int t) {
        return tok.endOfText().isEmpty() || tok.endOfText().getAsInt() != t;
    }

    private static double norm(Tensor v) {
        return Math.sqrt(Arrays.stream(toDoubles(v)).map(x -> x * x).sum());
    }

    private static double[] toDoubles(Tensor v) {
        float[] f = v.toArray();
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }
}
