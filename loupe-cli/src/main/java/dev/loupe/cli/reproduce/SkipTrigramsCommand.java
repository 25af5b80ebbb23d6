package dev.loupe.cli.reproduce;

import dev.loupe.cli.FlagSettings;
import dev.loupe.cli.ProgressLines;
import dev.loupe.experiments.skiptrigrams.SkipTrigramReport;
import dev.loupe.experiments.skiptrigrams.SkipTrigramReproduction;
import dev.loupe.experiments.skiptrigrams.SkipTrigramResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code loupe reproduce skip-trigrams}: runs {@link SkipTrigramReproduction} and prints its report. */
@Command(name = "skip-trigrams", mixinStandardHelpOptions = true,
        description = {"Train a 1-layer attention-only transformer on generated documents that reuse a few topic symbols, and "
                + "check the paper's reading: most heads copy (positive eigenvalue copying scores of the full OV circuit) and "
                + "the heads implement skip-trigrams [source] … [destination] → [out].",
                "Writes report.md, report.json and the model to --out."},
        footer = {"%nExample:", "  loupe reproduce skip-trigrams --out runs/skip"})
final class SkipTrigramsCommand implements Callable<Integer> {
    @Option(names = "--out", defaultValue = "runs/reproduce-skip-trigrams", paramLabel = "DIR", description = "Output directory (default ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--steps", defaultValue = "500", paramLabel = "N", description = "Training steps (default ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--seed", defaultValue = "1", paramLabel = "S", description = "Seed of the corpus and the weights (default ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() {
        var settings = FlagSettings.check(() -> new SkipTrigramReproduction.Settings(steps, seed));
        SkipTrigramResult x = new SkipTrigramReproduction(settings).run(new ProgressLines(System.err, "reproduce skip-trigrams"));
        System.out.print(SkipTrigramReport.write(out, x));
        System.out.println("\nwrote " + out.resolve("report.md") + ", " + out.resolve("report.json") + " and " + out.resolve("model"));
        return 0;
    }
}
