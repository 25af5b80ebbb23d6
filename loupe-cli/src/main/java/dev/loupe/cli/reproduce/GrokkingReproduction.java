package dev.loupe.cli.reproduce;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.cli.UsageException;
import dev.loupe.experiments.grokking.Grokking;
import dev.loupe.experiments.grokking.GrokkingReport;
import dev.loupe.experiments.grokking.GrokkingResult;
import dev.loupe.experiments.grokking.GrokkingSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code loupe reproduce grokking}: flags → {@link GrokkingSettings}, {@link Grokking#run}, then
 * {@link GrokkingReport#write} and a summary; the experiment itself is library code.
 */
@Command(name = "grokking", mixinStandardHelpOptions = true,
        description = {"Grokking on modular addition (Power et al. 2021), read with the progress measures of Nanda et al. 2023 "
                + "(\"Progress measures for grokking via mechanistic interpretability\"): a 1-layer transformer (d_model 128, 4 heads, "
                + "ReLU MLP 512, no LayerNorm) trained full-batch with AdamW (lr 1e-3, weight decay 1, β (0.9, 0.98)) on 30%% of the "
                + "pairs \"a b =\" → (a + b) mod p first memorises them, then suddenly generalises. Finds the key frequencies of the "
                + "trained model and measures, every --checkpoint-every steps: train/test loss and accuracy, restricted and "
                + "excluded loss, Gini coefficients of W_E's and W_L's Fourier norms, the sum of squared weights.",
                "Writes report.html, report.json, PNG pictures and the trained model (model/) to --out. With the defaults seeds 0 and 1 "
                        + "grokked at steps 9100 and 10200; the 15000 steps took 45 minutes of training and 3 of measures on a "
                        + "heavily loaded 2-core machine (see docs/reproductions.md §Grokking)."},
        footer = {"%nExamples:", "  loupe reproduce grokking", "  loupe reproduce grokking --p 23 --steps 1500 --out runs/grok-small"})
final class GrokkingReproduction implements Callable<Integer> {
    @Option(names = "--out", defaultValue = "runs/reproduce-grokking", paramLabel = "DIR", description = "Output directory (default ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--steps", defaultValue = "" + GrokkingSettings.DEFAULT_STEPS, paramLabel = "N",
            description = "Full-batch training steps (default ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "Seed of the train/test split and the weights (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--p", defaultValue = "113", paramLabel = "P", description = "The modulus, an odd number (default ${DEFAULT-VALUE}).")
    int p;

    @Option(names = "--train-fraction", defaultValue = "0.3", paramLabel = "F", description = "Share of the p² pairs trained on (default ${DEFAULT-VALUE}).")
    double trainFraction;

    @Option(names = "--checkpoint-every", defaultValue = "100", paramLabel = "N",
            description = "Measure a snapshot of the weights every N steps (default ${DEFAULT-VALUE}).")
    int checkpointEvery;

    @Override
    public Integer call() {
        GrokkingSettings s;
        try {
            s = GrokkingSettings.nanda(steps, seed).withP(p).withTrainFraction(trainFraction).withCheckpointEvery(checkpointEvery);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        System.err.printf(Locale.ROOT, "reproduce grokking: p = %d, %d steps, seed %d%n", s.p(), s.steps(), s.seed());
        GrokkingResult r = Grokking.run(s, line -> System.err.println("reproduce grokking: " + line));
        ObjectNode json = GrokkingReport.write(r, out);
        System.out.printf(Locale.ROOT, "train accuracy %.4f, test accuracy %.4f%n", json.get("train_accuracy").asDouble(),
                json.get("test_accuracy").asDouble());
        System.out.println("memorisation step " + json.get("memorisation_step") + ", clean-up from step " + json.get("cleanup_start_step")
                + ", grokking step " + json.get("grokking_step"));
        System.out.println("key frequencies " + json.get("key_frequencies") + " (neurons " + json.get("neurons_per_key_frequency") + ")");
        System.out.printf(Locale.ROOT, "training %.0f s (%.1f steps/s), measures %.0f s%n", r.trainSeconds(), r.stepsPerSecond(), r.analysisSeconds());
        System.out.println("wrote " + out.resolve("report.html") + ", " + out.resolve("report.json") + " and " + out.resolve(GrokkingReport.MODEL_DIR));
        return 0;
    }
}
