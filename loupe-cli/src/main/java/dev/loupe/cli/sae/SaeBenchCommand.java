package dev.loupe.cli.sae;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.loupe.cli.UsageException;
import dev.loupe.cli.bench.TorchPeer;
import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.sae.Architecture;
import dev.loupe.sae.SaeBenchmarks;
import dev.loupe.sae.SaeHookPoint;
import dev.loupe.tensor.Parallel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code loupe bench sae}: SAE training steps and activation harvesting, beside a PyTorch SAE in the same run. */
@Command(name = "sae", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
                "Times SAE training steps (forward, backward, Adam) of shape d_in × d_sae on a batch of tokens, for the",
                "standard architecture at initialisation (about half the latents active, C = 0) and at a trained SAE's",
                "sparsity (C = 2.15: L0 ≈ 64 of 4096), and TopK; beside the same steps in PyTorch (bench/torch_sae.py,",
                "same threads, dense as SAELens computes them) in the same run. Also the tokens/s of harvesting",
                "activations at blocks.5.hook_resid_post of a GPT-2-small-shaped model (random weights), which runs",
                "the model only up to block 5, next to a full forward pass. PERFORMANCE.md target P10.", ""},
        footer = {"", "Example:", "  loupe bench sae --steps 5"})
public final class SaeBenchCommand implements Callable<Integer> {
    @Option(names = "--d-in", defaultValue = "512", description = "Input width (default: ${DEFAULT-VALUE}).")
    int dIn;
    @Option(names = "--d-sae", defaultValue = "4096", description = "Latents (default: ${DEFAULT-VALUE}).")
    int dSae;
    @Option(names = "--batch", defaultValue = "4096", description = "Tokens per step (default: ${DEFAULT-VALUE}).")
    int batch;
    @Option(names = "--k", defaultValue = "32", description = "TopK's k (default: ${DEFAULT-VALUE}).")
    int k;
    @Option(names = "--steps", defaultValue = "5", description = "Measured steps after 2 warm-up steps (default: ${DEFAULT-VALUE}).")
    int steps;
    @Option(names = "--peak-gflops", defaultValue = "201", description = "The machine's FP32 peak, for the FLOP floor (default: ${DEFAULT-VALUE}, PERFORMANCE.md).")
    double peak;
    @Option(names = "--no-torch", description = "Do not run the PyTorch peer.")
    boolean noTorch;
    @Option(names = "--no-harvest", description = "Skip the 124M-shape harvesting measurement.")
    boolean noHarvest;

    record Case(String name, Architecture arch, double sigmas) {}

    @Override
    public Integer call() throws Exception {
        if (steps < 3) throw new UsageException("--steps must be at least 3, got " + steps);
        List<Case> cases = List.of(new Case("standard, C=0 (init)", Architecture.STANDARD, 0),
                new Case("standard, C=2.15 (trained L0)", Architecture.STANDARD, 2.15), new Case("topk k=" + k, Architecture.TOPK, 0));
        ObjectMapper om = new ObjectMapper();
        List<String> lines = new ArrayList<>();
        String absent = noTorch ? "--no-torch" : null;
        double denseFloorMs = 10.0 * batch * dIn * dSae / 1e9 / peak * 1000;
        for (Case c : cases) {
            System.err.printf(Locale.ROOT, "measuring %s …%n", c.name());
            SaeBenchmarks.StepTiming loupe = SaeBenchmarks.trainingStep(c.arch(), dIn, dSae, batch, k, c.sigmas(), 2, steps);
            String torch = "-", ratio = "-";
            if (absent == null) {
                try {
                    JsonNode j = om.readTree(TorchPeer.runScript("/bench/torch_sae.py", Parallel.threads(), List.of("--arch",
                            c.arch().saeLensName(), "--d-in", "" + dIn, "--d-sae", "" + dSae, "--batch", "" + batch, "--k", "" + k,
                            "--bias-sigmas", "" + c.sigmas(), "--steps", "" + steps)));
                    double ms = j.get("ms_per_step").asDouble();
                    torch = String.format(Locale.ROOT, "%.0f (L0 %.0f)", ms, j.get("l0").asDouble());
                    ratio = String.format(Locale.ROOT, "%.2f×", ms / loupe.msPerStep());
                } catch (TorchPeer.Absent e) {
                    absent = e.getMessage();
                }
            }
            lines.add(String.format(Locale.ROOT, "%-30s %10.0f %8.1f %22s %8s %9.0f%%", c.name(), loupe.msPerStep(), loupe.l0(), torch,
                    ratio, 100 * denseFloorMs / loupe.msPerStep()));
        }
        System.out.printf(Locale.ROOT, "SAE training step, d_in %d, d_sae %d, %d tokens, %d threads%n", dIn, dSae, batch, Parallel.threads());
        System.out.printf(Locale.ROOT, "%-30s %10s %8s %22s %8s %10s%n", "case", "Loupe ms", "L0", "torch ms", "ratio", "of floor");
        lines.forEach(System.out::println);
        System.out.printf(Locale.ROOT, "floor = the dense step's 10·N·d_in·d_sae = %.1f GFLOP at %.0f GFLOPS = %.0f ms (sparse steps do fewer FLOPs"
                + " and can beat it); ratio = torch / Loupe%n", 10.0 * batch * dIn * dSae / 1e9, peak, denseFloorMs);
        if (absent != null) System.out.println("PyTorch peer not measured: " + absent);
        if (!noHarvest) {
            System.err.println("measuring harvesting at blocks.5.hook_resid_post of a 124M-shape model …");
            GptConfig g = GptConfig.gpt2(50257, 1024, 768, 12, 12);
            Gpt model = Gpt.create(g, 1);
            double[] tps = SaeBenchmarks.harvest(model, SaeHookPoint.resolve(g, "blocks.5.hook_resid_post"), 8, 128, 8, 3);
            System.out.printf(Locale.ROOT, "harvest blocks.5.hook_resid_post, 124M shape, 8 × 128 tokens per pass: %,.0f tokens/s"
                    + " (full forward with logits: %,.0f tokens/s, %.2f×)%n", tps[0], tps[1], tps[0] / tps[1]);
        }
        return 0;
    }
}
