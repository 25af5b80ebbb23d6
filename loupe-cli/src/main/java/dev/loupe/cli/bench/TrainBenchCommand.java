package dev.loupe.cli.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.cli.UsageException;
import dev.loupe.model.AttentionKind;
import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.model.MoeSettings;
import dev.loupe.tensor.Parallel;
import dev.loupe.train.AdamW;
import dev.loupe.train.LrSchedule;
import dev.loupe.train.TokenData;
import dev.loupe.train.Trainer;
import dev.loupe.train.TrainingSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * {@code loupe bench train}: tokens per second of full training steps (forward, backward, gradient
 * clipping, AdamW) for the configurations of PERFORMANCE.md, beside the PyTorch peer measured in the
 * same run.
 */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
                "Time training steps (forward + backward + clip + AdamW) of GPT-2-shaped models on random "
                        + "tokens with random weights: 2 warm-up steps, then the median of --steps steps. Configurations "
                        + "(PERFORMANCE.md): small = 4 layers, d_model 256, 4 heads; 124m = GPT-2 small (12, 768, 12); "
                        + "both with GPT-2's 50257-token vocabulary. When /usr/bin/python3 has torch, the same step in "
                        + "PyTorch (bench/torch_train.py, 2 threads) is measured in the same run and the ratio printed. "
                        + "For 124m the peak RSS is compared with params + grads + Adam moments + activations (llm.c's "
                        + "activation count). --attention adds linear and least-squares attention models of the same "
                        + "shapes, timed in the same run, with their speed relative to softmax (the PyTorch peer is "
                        + "softmax only). --moe adds, per shape, a mixture-of-experts model with the same active "
                        + "parameters as the dense one (8 experts, top-2, d_expert = 2·d_model, so k·d_expert = the dense "
                        + "4·d_model; aux and z losses on), its speed relative to dense, the expert load's coefficient of "
                        + "variation, and a straightforward PyTorch MoE (index_select / index_add_ per expert) in the same run. "
                        + "--vocab shrinks the vocabulary so the blocks, not the unembedding, dominate the step. The peer "
                        + "of each shape runs before Loupe's, so that its memory is returned before Loupe's model is built.", ""},
        footer = {"", "Examples:", "  loupe bench train", "  loupe bench train --config all --seq 64,256 --json",
                "  loupe bench train --config 124m --shape 4x256,8x512,1x1024",
                "  loupe bench train --attention softmax,linear,least_squares --seq 64,256 --no-torch",
                "  loupe bench train --moe --vocab 512 --seq 128"})
public final class TrainBenchCommand implements Callable<Integer> {
    @Option(names = "--config", defaultValue = "small", description = "small | 124m | all (default: ${DEFAULT-VALUE}).")
    String config;
    @Option(names = "--batch", defaultValue = "4", description = "Batch size B (default: ${DEFAULT-VALUE}).")
    int batch;
    @Option(names = "--seq", defaultValue = "64", split = ",", description = "Sequence length(s) T, e.g. 64,256 (default: ${DEFAULT-VALUE}).")
    int[] seqs;
    @Option(names = "--steps", defaultValue = "5", description = "Measured steps after 2 warm-up steps (default: ${DEFAULT-VALUE}).")
    int steps;
    @Option(names = "--attention", defaultValue = "softmax", split = ",", paramLabel = "KIND",
            description = "Attention kinds to time: softmax, linear (elu1, normalised), least_squares (α = 1) (default: ${DEFAULT-VALUE}).")
    List<String> attention;
    @Option(names = "--shape", split = ",", paramLabel = "BxT",
            description = "Batch × sequence pairs instead of --batch and --seq, e.g. 4x256,8x512,1x1024.")
    List<String> shapeList;
    @Option(names = "--moe", description = "Also time a mixture-of-experts model (8 experts, top-2) of the same active parameters.")
    boolean moe;
    @Option(names = "--vocab", defaultValue = "50257", description = "Vocabulary size (default: GPT-2's ${DEFAULT-VALUE}).")
    int vocab;
    @Option(names = "--no-torch", description = "Do not run the PyTorch peer.")
    boolean noTorch;
    @Option(names = "--json", description = "Print the results as JSON.")
    boolean json;

    static final int WARMUP = 2;
    /** The mixture timed by --moe: 8 experts, top-2, d_expert = 2·d_model (active width k·d_e = 4·d_model, the dense MLP's). */
    static MoeSettings moeOf(Shape s) {
        return new MoeSettings(8, 2, 2 * s.dModel(), MoeSettings.Router.SOFTMAX_TOPK, 0.01f, 0.001f, null, null);
    }

    record Shape(String name, int layers, int dModel, int heads) {}

    /** One B × T of the run. */
    record Size(int batch, int seq) {}

    @Override
    public Integer call() throws Exception {
        List<Shape> shapes = switch (config) {
            case "small" -> List.of(new Shape("small", 4, 256, 4));
            case "124m" -> List.of(new Shape("124m", 12, 768, 12));
            case "all" -> List.of(new Shape("small", 4, 256, 4), new Shape("124m", 12, 768, 12));
            default -> throw new UsageException("--config must be small, 124m or all, got " + config);
        };
        if (steps < 5) throw new UsageException("--steps must be at least 5 (a median of fewer is noise), got " + steps);
        List<Size> sizes = sizes();
        if (vocab < 2) throw new UsageException("--vocab must be at least 2, got " + vocab);
        List<AttentionKind> kinds = new ArrayList<>();
        for (String a : attention) {
            AttentionKind k = switch (a) {
                case "softmax" -> AttentionKind.SOFTMAX;
                case "linear" -> AttentionKind.linear(AttentionKind.FeatureMap.ELU1, true);
                case "least_squares" -> AttentionKind.leastSquares(1f, false);
                default -> throw new UsageException("--attention takes softmax, linear, least_squares; got " + a);
            };
            if (!kinds.contains(k)) kinds.add(k);
        }
        Path script = findScript();
        String torchMissing = noTorch ? "--no-torch" : torchProblem(script);
        ObjectMapper om = new ObjectMapper();
        ArrayNode results = om.createArrayNode();
        for (Shape s : shapes) {
            // Smallest memory first: the JVM keeps the heap a larger configuration grew, so after one a
            // smaller one's peak RSS would be the larger one's (124M 1×1024 after 8×512: 1.81× its need).
            List<Size> order = sizes.stream().sorted(java.util.Comparator.comparingLong(z -> activations(s, z.batch(), z.seq()))).toList();
            if (!json && !order.equals(sizes)) {
                System.err.printf("measuring %s in order of memory need, smallest first, so that each peak RSS is its own%n", s.name());
            }
            for (Size size : order) {
                int b = size.batch(), t = size.seq();
                Double softmaxMs = null;
                for (AttentionKind kind : kinds) {
                    Double torchMs = null;
                    if (torchMissing == null && kind.isSoftmax()) {
                        if (!json) System.err.printf("measuring %s B%d×T%d in PyTorch …%n", s.name(), b, t);
                        torchMs = measureTorch(script, s, b, t, om, null).get("ms_per_step").asDouble();
                    }
                    if (!json) System.err.printf("measuring %s %s B%d×T%d …%n", s.name(), kind.kindName(), b, t);
                    resetPeakRss();   // the peak RSS reported is this configuration's, not the previous one's
                    double loupeMs = measureLoupe(s, b, t, kind, null).ms();
                    ObjectNode r = results.addObject();
                    r.put("config", s.name()).put("attention", kind.kindName()).put("batch", b).put("seq", t)
                            .put("threads", Parallel.threads());
                    r.put("loupe_ms_per_step", loupeMs).put("loupe_tokens_per_s", b * t / (loupeMs / 1000));
                    if (kind.isSoftmax()) softmaxMs = loupeMs;
                    else if (softmaxMs != null) r.put("speed_vs_softmax", softmaxMs / loupeMs);
                    if (torchMs != null) {
                        r.put("torch_ms_per_step", torchMs).put("torch_tokens_per_s", b * t / (torchMs / 1000));
                        r.put("ratio", torchMs / loupeMs);
                    }
                    if (s.name().equals("124m") && kind.isSoftmax()) memory(r, s, b, t);
                }
                if (moe) measureMoe(s, b, t, softmaxMs, torchMissing, script, om, results.addObject());
            }
        }
        if (json) {
            ObjectNode root = om.createObjectNode();
            root.set("results", results);
            if (torchMissing != null) root.put("torch", "not measured: " + torchMissing);
            root.put("openblas", PeerEnvironment.kernelsLine());
            System.out.println(root.toPrettyString());
        } else {
            if (torchMissing != null) System.out.println("PyTorch peer not measured: " + torchMissing);
            boolean kindsShown = kinds.size() > 1 || !kinds.getFirst().isSoftmax() || moe;
            System.out.printf("%-6s %-8s %s%14s %12s %14s %12s %8s%n", "config", "B×T", kindsShown ? String.format("%-14s %10s ",
                    moe ? "variant" : "attention", moe ? "vs base" : "vs softmax") : "", "Loupe ms/step", "Loupe tok/s", "torch ms/step", "torch tok/s", "ratio");
            for (var r : results) {
                String kindColumns = !kindsShown ? "" : String.format("%-14s %10s ", r.get("attention").asText(),
                        r.has("speed_vs_softmax") ? String.format("%.2f×", r.get("speed_vs_softmax").asDouble())
                                : r.has("speed_vs_dense") ? String.format("%.2f×", r.get("speed_vs_dense").asDouble()) : "-");
                System.out.printf("%-6s %-8s %s%14.0f %12.1f %14s %12s %8s%n", r.get("config").asText(),
                        r.get("batch").asInt() + "×" + r.get("seq").asInt(), kindColumns, r.get("loupe_ms_per_step").asDouble(),
                        r.get("loupe_tokens_per_s").asDouble(),
                        r.has("torch_ms_per_step") ? String.format("%.0f", r.get("torch_ms_per_step").asDouble()) : "-",
                        r.has("torch_tokens_per_s") ? String.format("%.1f", r.get("torch_tokens_per_s").asDouble()) : "-",
                        r.has("ratio") ? String.format("%.2f×", r.get("ratio").asDouble()) : "-");
                if (r.has("peak_rss_mb")) {
                    System.out.printf("       peak RSS %.0f MB = %.2f × (params + grads + Adam m, v %.0f MB + activations %.0f MB)%n",
                            r.get("peak_rss_mb").asDouble(), r.get("rss_ratio").asDouble(), r.get("state_mb").asDouble(),
                            r.get("activations_mb").asDouble());
                }
            }
            if (kindsShown) System.out.println("vs " + (moe ? "base" : "softmax") + " = softmax time / this kind's time, same shape, same run (> 1: faster than softmax)"
                    + (moe ? "; for the MoE row: the dense model's time / the MoE's time" : ""));
            if (moe) {
                for (var r : results) {
                    if (r.has("moe")) System.out.printf(java.util.Locale.ROOT, "%s B%d×T%d: %s; %,d parameters (dense %,d), "
                            + "expert load CV %.3f (0 = perfectly balanced); the torch column is its PyTorch MoE%n", r.get("config").asText(),
                            r.get("batch").asInt(), r.get("seq").asInt(), r.get("moe").asText(), r.get("parameters").asLong(),
                            r.get("dense_parameters").asLong(), r.get("load_cv").asDouble());
                }
            }
            System.out.println("ratio = PyTorch time / Loupe time (> 1: Loupe is faster); medians of " + steps + " steps after "
                    + WARMUP + " warm-up steps, " + Parallel.threads() + " threads.");
            System.out.println(PeerEnvironment.kernelsLine());
        }
        return 0;
    }

    /** The MoE row of --moe: Loupe's MoE step, its speed relative to dense, the load, and the PyTorch MoE. */
    private void measureMoe(Shape s, int batch, int t, Double denseMs, String torchMissing, Path script, ObjectMapper om, ObjectNode r)
            throws IOException, InterruptedException {
        MoeSettings m = moeOf(s);
        Double torchMs = null;
        if (torchMissing == null) {   // the peer first, as for the dense rows: its memory is returned before Loupe's model is built
            if (!json) System.err.printf("measuring %s moe B%d×T%d in PyTorch …%n", s.name(), batch, t);
            torchMs = measureTorch(script, s, batch, t, om, m).get("ms_per_step").asDouble();
        }
        if (!json) System.err.printf("measuring %s moe E%d top-%d B%d×T%d …%n", s.name(), m.experts(), m.topK(), batch, t);
        Timed moeRun = measureLoupe(s, batch, t, AttentionKind.SOFTMAX, m);
        String label = "moe E" + m.experts() + " top-" + m.topK();
        r.put("config", s.name()).put("attention", label).put("batch", batch).put("seq", t).put("threads", Parallel.threads());
        r.put("moe", String.format(java.util.Locale.ROOT, "%d experts, top-%d, d_expert %d", m.experts(), m.topK(), m.dExpert()));
        r.put("loupe_ms_per_step", moeRun.ms()).put("loupe_tokens_per_s", batch * t / (moeRun.ms() / 1000));
        if (denseMs != null) r.put("speed_vs_dense", denseMs / moeRun.ms());
        r.put("load_cv", moeRun.loadCv());
        GptConfig dense = GptConfig.gpt2(vocab, t, s.dModel(), s.layers(), s.heads());
        r.put("parameters", dense.withMoe(m).parameterCount()).put("dense_parameters", dense.parameterCount());
        if (torchMs != null) {
            r.put("torch_ms_per_step", torchMs).put("torch_tokens_per_s", batch * t / (torchMs / 1000));
            r.put("ratio", torchMs / moeRun.ms());
        }
    }

    /** The B × T pairs of the run: --shape, or --batch with each --seq. */
    private List<Size> sizes() {
        List<Size> sizes = new ArrayList<>();
        if (shapeList == null) {
            for (int t : seqs) sizes.add(new Size(batch, t));
        } else {
            for (String spec : shapeList) {
                String[] bt = spec.trim().toLowerCase(java.util.Locale.ROOT).split("[x×]");
                try {
                    if (bt.length != 2) throw new NumberFormatException();
                    sizes.add(new Size(Integer.parseInt(bt[0].trim()), Integer.parseInt(bt[1].trim())));
                } catch (NumberFormatException e) {
                    throw new UsageException("--shape takes BxT pairs such as 4x256, got '" + spec + "'");
                }
            }
        }
        if (sizes.stream().anyMatch(z -> z.batch() < 1 || z.seq() < 1)) throw new UsageException("batch and sequence length must be positive");
        return sizes;
    }

    /** Median milliseconds per step, and for a mixture the mean over layers of the last step's expert-load CV. */
    record Timed(double ms, double loadCv) {}

    /** Median milliseconds of a real training step ({@link Trainer}) after {@value #WARMUP} warm-up steps. */
    private Timed measureLoupe(Shape s, int batch, int t, AttentionKind kind, MoeSettings moeSettings) {
        GptConfig c = GptConfig.gpt2(vocab, t, s.dModel(), s.layers(), s.heads()).withAttention(kind).withMoe(moeSettings);
        Gpt model = Gpt.create(c, 1);
        SplittableRandom r = new SplittableRandom(2);
        int[] tokens = r.ints((long) (batch + 1) * t * 4, 0, vocab).toArray();
        int total = WARMUP + steps;
        TrainingSettings settings = new TrainingSettings(batch, t, total, new LrSchedule(1e-4, 1e-5, 0, total,
                LrSchedule.Kind.CONSTANT), new AdamW.Settings(0.9, 0.95, 1e-8, 0.1), 1.0, "random", 1, 0, 0, 0);
        List<Double> ms = new ArrayList<>();
        new Trainer(model, settings, new TokenData(List.of(tokens), List.of())).run(new Trainer.Listener() {
            @Override
            public void onStep(Trainer.StepReport rep) {
                if (rep.step() > WARMUP) ms.add(rep.seconds() * 1000);
            }
        }, null);
        double cv = 0;
        int layers = 0;
        for (int l = 0; l < c.nLayer(); l++) {
            if (model.mixture(l) == null) continue;
            cv += coefficientOfVariation(model.mixture(l).load());
            layers++;
        }
        return new Timed(median(ms), layers == 0 ? 0 : cv / layers);
    }

    /** σ/μ of the per-expert counts. */
    static double coefficientOfVariation(int[] counts) {
        double mean = Arrays.stream(counts).average().orElse(0), var = 0;
        for (int n : counts) var += (n - mean) * (n - mean);
        return mean == 0 ? 0 : Math.sqrt(var / counts.length) / mean;
    }

    /** bench/torch_train.py for the shape, dense or (m not null) with every MLP a mixture. */
    private ObjectNode measureTorch(Path script, Shape s, int batch, int t, ObjectMapper om, MoeSettings m) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("/usr/bin/python3", script.toString(), "" + s.layers(), "" + s.dModel(),
                "" + s.heads(), "" + vocab, "" + batch, "" + t, "" + WARMUP, "" + steps));
        if (m != null) cmd.addAll(List.of("" + m.experts(), "" + m.topK(), "" + m.dExpert()));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        PeerEnvironment.apply(pb, 2);
        pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(30, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new dev.loupe.LoupeException("the PyTorch peer " + script + " failed (exit " + p.exitValue() + ")");
        }
        return (ObjectNode) om.readTree(out);
    }

    /** Peak RSS against params + grads + m + v and llm.c's activation count, 4 bytes each. */
    private void memory(ObjectNode r, Shape s, int batch, int t) {
        long peakKb = peakRssKb();
        if (peakKb <= 0) return;
        GptConfig c = GptConfig.gpt2(vocab, t, s.dModel(), s.layers(), s.heads());
        long n = c.expectedShapes().values().stream().mapToLong(sh -> Arrays.stream(sh).asLongStream().reduce(1, (a, b) -> a * b)).sum();
        long acts = activations(s, batch, t);
        double stateMb = 4.0 * n * 4 / 1e6, actMb = acts * 4.0 / 1e6, peakMb = peakKb * 1024 / 1e6;
        r.put("peak_rss_mb", peakMb).put("state_mb", stateMb).put("activations_mb", actMb)
                .put("rss_ratio", peakMb / (stateMb + actMb));
    }

    /**
     * llm.c's activation count (train_gpt2.c fill_in_activation_sizes): per layer 16·BTC + 2·BHTT +
     * 4·BT (ln1, qkv, atty, preatt, att, attproj, residual2, ln2, fch, fch_gelu, fcproj, residual3,
     * means/rstds), plus encoded, ln_f, logits and probs.
     */
    private long activations(Shape s, int batch, int t) {
        long b = batch, d = s.dModel(), h = s.heads(), l = s.layers();
        return l * (16 * b * t * d + 2 * b * h * t * t + 4 * b * t) + 2 * b * t * d + 2 * b * t + 2 * b * t * vocab;
    }

    /**
     * Lets the previous configuration's model go (a full GC) and restarts the kernel's peak-RSS count
     * from the current RSS (writing 5 to /proc/self/clear_refs resets VmHWM; Linux only, else nothing).
     */
    private static void resetPeakRss() {
        System.gc();
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
        } catch (IOException | UnsupportedOperationException e) {
            // not Linux, or not permitted: the peak then covers the whole run
        }
    }

    private static long peakRssKb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("\\D", ""));
            }
        } catch (IOException | NumberFormatException e) {
            // not Linux
        }
        return -1;
    }

    static double median(List<Double> xs) {
        double[] a = xs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
    }

    /** bench/torch_train.py of the repository: beside the launcher, found from the jar's location or the working directory. */
    private static Path findScript() {
        List<Path> candidates = new ArrayList<>();
        String env = System.getenv("LOUPE_HOME");
        if (env != null) candidates.add(Path.of(env, "bench", "torch_train.py"));
        try {
            Path jar = Path.of(TrainBenchCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            for (Path p = jar.getParent(); p != null; p = p.getParent()) candidates.add(p.resolve("bench/torch_train.py"));
        } catch (Exception e) {
            // no code source
        }
        candidates.add(Path.of("bench", "torch_train.py").toAbsolutePath());
        return candidates.stream().filter(Files::isRegularFile).findFirst().orElse(null);
    }

    private static String torchProblem(Path script) {
        if (script == null) return "bench/torch_train.py not found (run from the repository or set LOUPE_HOME)";
        if (!Files.isExecutable(Path.of("/usr/bin/python3"))) return "no /usr/bin/python3";
        try {
            Process p = new ProcessBuilder("/usr/bin/python3", "-c", "import torch").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            if (p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0) return null;
        } catch (IOException | InterruptedException e) {
            return "cannot run /usr/bin/python3: " + e.getMessage();
        }
        return "/usr/bin/python3 has no torch (apt-get install python3-torch)";
    }
}
