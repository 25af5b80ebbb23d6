package dev.loupe.cli.model;

import dev.loupe.cli.UsageException;
import dev.loupe.cli.bench.StepTimes;
import dev.loupe.model.Gpt;
import dev.loupe.model.WeightFormat;
import dev.loupe.tensor.matmul.Matmul;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code loupe bench prefill}: one full forward pass over a long prompt (PERFORMANCE.md P9: 1024
 * tokens of GPT-2 small's shape, the logits of every position, as {@code loupe logits} and the
 * explorer's first request compute them), per weight format, next to PyTorch in the same run.
 */
@Command(name = "prefill", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Measure a full forward pass (the logits of every position, batch 1) over --tokens tokens of a model "
                + "with GPT-2 small's shape and random weights, as 'loupe logits' runs it: --warmup untimed passes, then "
                + "--repeat timed ones, for each --weights format. PyTorch (float32) runs the same pass in the same run "
                + "when /usr/bin/python3 has torch. Prints tokens/s (tokens per pass / mean pass time), the mean, median, "
                + "p90 and max pass in ms, the ratios and the load average.",
                ""},
        footer = {"%nExamples:",
                "  loupe bench prefill",
                "  loupe bench prefill --tokens 256 --repeat 5 --weights f32",
                "  loupe bench prefill --layers 2 --d-model 128 --heads 4 --tokens 64 --no-peer"})
public final class PrefillBenchCommand implements Runnable {
    @Mixin
    InferenceBenchShape shape;
    @Option(names = "--tokens", defaultValue = "1024", description = "Tokens per forward pass (default: ${DEFAULT-VALUE}).")
    int tokens;
    @Option(names = "--repeat", defaultValue = "3", description = "Timed passes (default: ${DEFAULT-VALUE}).")
    int repeat;
    @Option(names = "--warmup", defaultValue = "1", description = "Untimed passes first (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Override
    public void run() {
        List<WeightFormat> formats = shape.formats();
        if (tokens < 1 || repeat < 1 || warmup < 0) throw new UsageException("--tokens and --repeat must be positive, --warmup ≥ 0");
        Gpt base = shape.create(tokens);
        int[] ids = new int[tokens];
        Arrays.fill(ids, 464 % base.config().vocabSize());
        Map<WeightFormat, StepTimes> times = new EnumMap<>(WeightFormat.class);
        for (WeightFormat f : formats) {
            Gpt m = InferenceBenchShape.in(base, f);
            double[] ms = new double[repeat];
            System.err.printf(Locale.ROOT, "bench: %s: %d warm-up and %d timed passes of %d tokens…%n", f.label(), warmup, repeat, tokens);
            for (int i = -warmup; i < repeat; i++) {
                long t0 = System.nanoTime();
                m.logits(ids, 1, tokens);
                if (i >= 0) ms[i] = (System.nanoTime() - t0) / 1e6;
            }
            times.put(f, StepTimes.of(ms));
        }
        System.out.printf(Locale.ROOT, "Prefill (full forward, logits of every position), %d tokens, batch 1, %s, matmul %s, "
                + "%d passes after %d warm-up; load average %s%n", tokens, shape.describe(), Matmul.backend().name(), repeat, warmup,
                StepTimes.loadAverage());
        System.out.println("             " + StepTimes.header("tok/s"));
        times.forEach((f, t) -> InferenceBenchShape.row(f, t, tokens));
        StepTimes torch = shape.peer("prefill", tokens, List.of("--prompt", "" + tokens, "--warmup", "" + warmup,
                "--tokens", "" + repeat), tokens);
        if (torch != null) {
            times.forEach((f, t) -> System.out.printf(Locale.ROOT, "  torch / loupe %s time: %.2f%n", f.label(), torch.mean() / t.mean()));
        }
        System.out.println("  load average at the end: " + StepTimes.loadAverage());
        System.out.println("  " + dev.loupe.cli.bench.PeerEnvironment.kernelsLine());
    }
}
