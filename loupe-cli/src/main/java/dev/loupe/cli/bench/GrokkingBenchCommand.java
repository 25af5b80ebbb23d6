package dev.loupe.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.loupe.cli.UsageException;
import dev.loupe.experiments.grokking.FullBatchTraining;
import dev.loupe.experiments.grokking.GrokkingSettings;
import dev.loupe.tensor.Parallel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.util.List;
import java.util.Locale;

/**
 * {@code loupe bench grokking}: steps/s of the grokking run's full-batch training step
 * ({@link FullBatchTraining}) next to PyTorch running Nanda et al.'s formulation of the same model
 * ({@code bench/torch_grokking.py}) in the same run.
 */
@Command(name = "grokking", mixinStandardHelpOptions = true,
        description = {"Measure the full-batch training step of 'loupe reproduce grokking' (p = 113 by default: 3 831 sequences "
                + "\"a b =\", 1 layer, d_model 128, ReLU MLP 512, no LayerNorm; forward, backward, AdamW) as the median of "
                + "--steps timed steps after --warmup ones, and the same step in PyTorch (bench/torch_grokking.py, Nanda et al.'s "
                + "formulation: every position unembedded, the last one kept) in the same run when /usr/bin/python3 has torch.",
                ""},
        footer = {"%nExamples:", "  loupe bench grokking", "  loupe bench grokking --steps 50 --no-peer"})
public final class GrokkingBenchCommand implements Runnable {
    @Option(names = "--p", defaultValue = "113", description = "The modulus (default: ${DEFAULT-VALUE}).")
    int p;
    @Option(names = "--warmup", defaultValue = "5", description = "Untimed steps first (default: ${DEFAULT-VALUE}).")
    int warmup;
    @Option(names = "--steps", defaultValue = "20", description = "Timed steps (default: ${DEFAULT-VALUE}).")
    int steps;
    @Option(names = "--no-peer", description = "Skip the PyTorch peer.")
    boolean noPeer;

    @Override
    public void run() {
        if (warmup < 0 || steps < 1) throw new UsageException("--warmup must be ≥ 0 and --steps ≥ 1");
        GrokkingSettings s;
        try {
            s = GrokkingSettings.nanda(warmup + steps, 0).withP(p);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        System.err.println("bench: loupe, " + warmup + " warm-up + " + steps + " timed full-batch steps…");
        double loupe = FullBatchTraining.medianMsPerStep(s, warmup, steps);
        System.out.printf(Locale.ROOT, "grokking step (p = %d, %d sequences, %d threads)%n", p,
                Math.round(s.trainFraction() * p * p), Parallel.threads());
        System.out.printf(Locale.ROOT, "  loupe: %8.1f ms/step  %6.2f steps/s%n", loupe, 1000 / loupe);
        if (noPeer) return;
        String peer;
        try {
            System.err.println("bench: PyTorch peer…");
            peer = TorchPeer.runScript("/bench/torch_grokking.py", Parallel.threads(), List.of(
                    "--p", "" + p, "--warmup", "" + warmup, "--steps", "" + steps));
        } catch (TorchPeer.Absent e) {
            System.out.println("No peer: " + e.getMessage() + "; Loupe's figure alone.");
            return;
        }
        try {
            JsonNode j = new ObjectMapper().readTree(peer);
            double t = j.get("ms_per_step").asDouble();
            System.out.printf(Locale.ROOT, "  torch: %8.1f ms/step  %6.2f steps/s (torch %s, %d threads)%n", t, 1000 / t,
                    j.get("version").asText(), j.get("threads").asInt());
            System.out.printf(Locale.ROOT, "  loupe/torch speed: %.2f×%n", t / loupe);
        } catch (IOException e) {
            System.out.println("No peer: unreadable output: " + peer);
        }
    }
}
