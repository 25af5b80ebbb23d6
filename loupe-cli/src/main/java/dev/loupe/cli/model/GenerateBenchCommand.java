package dev.loupe.cli.model;

import dev.loupe.cli.UsageException;
import dev.loupe.cli.bench.StepTimes;
import dev.loupe.model.Gpt;
import dev.loupe.model.KvCache;
import dev.loupe.model.Sampler;
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
 * {@code loupe bench generate}: KV-cache decoding speed (PERFORMANCE.md P4, P4b), batch 1, of a model
 * with GPT-2 small's shape and random weights, with float32 and bfloat16 weights, next to PyTorch
 * decoding the same shape in the same run. Reports the mean rate and the mean, median, p90 and
 * maximum step, so slow outlier steps show. The formats take turns step by step: on a shared
 * machine a slow spell of several seconds would otherwise fall on one format's steps only and move
 * their ratio (1.31–2.07 in consecutive runs timed one after the other).
 */
@Command(name = "generate", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Measure KV-cache decoding (batch 1) of a model with GPT-2 small's shape (12 layers, d_model "
                + "768, 12 heads, vocabulary 50257) and random weights: the prompt fills the cache, warm-up steps let "
                + "the JIT compile, then each greedy one-token step is timed. The --weights formats (float32, bfloat16) "
                + "take turns step by step, so that a slow spell of a shared machine falls on both alike; PyTorch (float32) decodes the same shape with its own KV cache in the same run "
                + "when /usr/bin/python3 has torch. Prints tokens/s (the mean over all timed steps) and the mean, "
                + "median, p90 and max step in ms, the ratios, and the load average: compare ratios, not absolute "
                + "figures, on a shared machine.",
                ""},
        footer = {"%nExamples:",
                "  loupe bench generate",
                "  loupe bench generate --weights f32 --tokens 64",
                "  loupe bench generate --layers 4 --d-model 256 --heads 4 --tokens 64 --no-peer"})
public final class GenerateBenchCommand implements Runnable {
    @Mixin
    InferenceBenchShape shape;
    @Option(names = "--prompt", defaultValue = "16", description = "Prompt tokens fed before timing (default: ${DEFAULT-VALUE}).")
    int prompt;
    @Option(names = "--tokens", defaultValue = "256", description = "Timed decoding steps (default: ${DEFAULT-VALUE}).")
    int tokens;
    /**
     * 128 by default: with 16, the JIT was still compiling the decoding path (172 compilations, the
     * last C2 ones about 200 steps in) while steps were timed, and the compiler threads took one of
     * the two cores in bursts; with 160 none fell in the timed steps (docs/performance.md).
     */
    @Option(names = "--warmup", defaultValue = "128", description = "Untimed steps before timing, per format: time for "
            + "the JIT to compile the decoding path (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Override
    public void run() {
        List<WeightFormat> formats = shape.formats();
        if (prompt < 1 || tokens < 1 || warmup < 0) throw new UsageException("--prompt and --tokens must be positive, --warmup ≥ 0");
        int ctx = prompt + warmup + tokens;
        Gpt base = shape.create(ctx);
        Map<WeightFormat, StepTimes> times = new EnumMap<>(WeightFormat.class), cpu = new EnumMap<>(WeightFormat.class);
        List<Decoding> runs = formats.stream().map(f -> new Decoding(f, InferenceBenchShape.in(base, f))).toList();
        String labels = String.join(", ", runs.stream().map(r -> r.format.label()).toList());
        System.err.printf(Locale.ROOT, "bench: %s: prompt and %d warm-up steps…%n", labels, warmup);
        for (Decoding r : runs) r.prompt();
        for (int i = 0; i < warmup; i++) for (Decoding r : runs) r.step();
        System.err.printf(Locale.ROOT, "bench: %s: timing %d steps, the formats taking turns…%n", labels, tokens);
        var os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        var sun = os instanceof com.sun.management.OperatingSystemMXBean b ? b : null;
        for (int i = 0; i < tokens; i++) for (Decoding r : runs) r.timedStep(i, sun);
        boolean cpuKnown = sun != null && sun.getProcessCpuTime() >= 0;
        for (Decoding r : runs) {
            times.put(r.format, StepTimes.of(r.ms));
            if (cpuKnown) cpu.put(r.format, StepTimes.of(r.cpuMs));
        }
        System.out.printf(Locale.ROOT, "KV-cache decoding, batch 1, %s, matmul %s, %d steps after %d warm-up; load average %s%n",
                shape.describe(), Matmul.backend().name(), tokens, warmup, StepTimes.loadAverage());
        System.out.println("             " + StepTimes.header("tok/s"));
        times.forEach(InferenceBenchShape::row);
        cpu.forEach((f, t) -> System.out.printf(Locale.ROOT, "  loupe %s on-CPU: %.1f ms per step of %.1f (%.0f %% of %d cores' time; off "
                + "the CPU, a thread waited for a core or for the other threads)%n", f.label(), t.mean(), times.get(f).mean(), 100 * t.mean() / times.get(f).mean(),
                dev.loupe.tensor.Parallel.threads()));
        StepTimes torch = shape.peer("decode", ctx, List.of("--prompt", "" + prompt, "--warmup", "" + warmup, "--tokens", "" + tokens));
        StepTimes f32 = times.get(WeightFormat.F32), bf16 = times.get(WeightFormat.BF16);
        if (torch != null) {
            times.forEach((f, t) -> System.out.printf(Locale.ROOT, "  loupe %s / torch tokens/s: %.2f%n", f.label(), t.perSecond() / torch.perSecond()));
        }
        if (f32 != null && bf16 != null) {
            System.out.printf(Locale.ROOT, "  loupe bf16 / loupe f32 tokens/s: %.2f%n", bf16.perSecond() / f32.perSecond());
        }
        System.out.println("  load average at the end: " + StepTimes.loadAverage());
        System.out.println("  " + dev.loupe.cli.bench.PeerEnvironment.kernelsLine());
    }

    /**
     * One format's greedy decoding: its model and KV cache, the last token, and per timed step the
     * wall-clock time and the process's CPU time divided by the thread count (the kernel counts it
     * in scheduler ticks, so only its mean over many steps is meaningful).
     */
    private final class Decoding {
        final WeightFormat format;
        final Gpt model;
        final KvCache cache;
        final Sampler greedy = Sampler.greedy();
        final double[] ms = new double[tokens], cpuMs = new double[tokens];
        int tok;

        Decoding(WeightFormat format, Gpt model) {
            this.format = format;
            this.model = model;
            this.cache = model.newCache(prompt + warmup + tokens);
        }

        void prompt() {
            int[] promptIds = new int[prompt];
            Arrays.fill(promptIds, 464 % model.config().vocabSize());
            tok = greedy.sample(model.decode(promptIds, cache).select(0, prompt - 1));
        }

        void step() {
            tok = greedy.sample(model.decodeStep(tok, cache));
        }

        void timedStep(int i, com.sun.management.OperatingSystemMXBean sun) {
            long c0 = sun == null ? 0 : sun.getProcessCpuTime();
            long t0 = System.nanoTime();
            step();
            ms[i] = (System.nanoTime() - t0) / 1e6;
            if (sun != null) cpuMs[i] = (sun.getProcessCpuTime() - c0) / 1e6 / dev.loupe.tensor.Parallel.threads();
        }
    }
}
