package dev.loupe.cli.reproduce;

import dev.loupe.cli.FlagSettings;
import dev.loupe.cli.ProgressLines;
import dev.loupe.experiments.report.Report;
import dev.loupe.experiments.superposition.Superposition;
import dev.loupe.experiments.superposition.SuperpositionReport;
import dev.loupe.experiments.superposition.SuperpositionResult;
import dev.loupe.experiments.superposition.ToyModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code loupe reproduce superposition}: runs {@link Superposition} and writes its report. */
@Command(name = "superposition", mixinStandardHelpOptions = true,
        description = {"Reproduce \"Toy Models of Superposition\" (Elhage et al. 2022): train many toy models x' = ReLU(WᵀW x + b), "
                + "W an m×n matrix, and their linear controls, side by side on every core, on sparse features (0 with probability "
                + "S, else uniform in [0, 1]) weighted by importance, and show how the ReLU models put more features than "
                + "dimensions into superposition as the features grow sparse.",
                "Sweeps: n = 20, m = 5 with importance 0.7^i and n = 80, m = 20 with 0.9^i at S = 0, 0.7, 0.9, 0.97, 0.99, "
                        + "0.997, 0.999 (ReLU and linear); and uniform importance at finely swept S for the feature "
                        + "dimensionalities D_i, which stick at 1, 3/4, 2/3, 1/2, 2/5, 3/8, 1/3. AdamW lr 1e-3, batch 1024, "
                        + "10000 steps: the paper's. About 3 minutes on 2 idle cores.",
                "Writes report.html, report.json, the figures (PNG) and W and b of every model (models/*.npy) to --out."},
        footer = {"%nExamples:", "  loupe reproduce superposition", "  loupe reproduce superposition --steps 2000 --out runs/sp-short"})
final class SuperpositionCommand implements Callable<Integer> {
    @Option(names = "--out", defaultValue = "runs/reproduce-superposition", paramLabel = "DIR", description = "Output directory (default ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--steps", defaultValue = "10000", paramLabel = "N", description = "Training steps of every model (default ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--batch", defaultValue = "1024", paramLabel = "B", description = "Samples per step (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--seed", defaultValue = "1", paramLabel = "S", description = "Seed of the weights and the data (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--seeds", defaultValue = "1", paramLabel = "K", description = "Models per sparsity, with seeds S, S+1, … (default ${DEFAULT-VALUE}).")
    int seeds;

    @Option(names = "--uniform-features", defaultValue = "100", paramLabel = "N",
            description = "Features n of the uniform-importance sweep (default ${DEFAULT-VALUE}: 200 features in 40 dimensions scaled down to fit 2 cores).")
    int uniformN;

    @Option(names = "--uniform-hidden", defaultValue = "20", paramLabel = "M", description = "Hidden dimensions m of that sweep (default ${DEFAULT-VALUE}).")
    int uniformM;

    @Option(names = "--uniform-points", defaultValue = "16", paramLabel = "K",
            description = "Sparsities of that sweep: 1/(1 − S) = 10^(k/12), k = 0 … K−1 (default ${DEFAULT-VALUE}: 1 … 17.8; 0 skips the sweep).")
    int points;

    @Override
    public Integer call() {
        Superposition.Settings paper = FlagSettings.check(() -> Superposition.Settings.paper(seed, seeds, uniformN, uniformM, points));
        Superposition.Settings settings = FlagSettings.check(() -> new Superposition.Settings(seed, seeds, steps, batch,
                ToyModel.Optimizer.paper(), paper.families(), paper.sparsities(), paper.uniform(), paper.uniformSparsities()));
        SuperpositionResult x = new Superposition(settings).run(new ProgressLines(System.err, "reproduce superposition"));
        List<Report.Finding> findings = SuperpositionReport.write(out, x);
        System.out.printf("Trained %d toy models in %.0f s.%n%n", x.models().size(), x.seconds());
        for (Report.Finding f : findings) System.out.println("- " + (f.matched() ? "MATCHED" : "NOT MATCHED") + ": " + f.claim() + " — " + f.evidence());
        System.out.println("\nwrote " + out.resolve("report.html") + ", " + out.resolve("report.json") + ", the figures and "
                + out.resolve("models") + " (W and b of every model, .npy)");
        return 0;
    }
}
