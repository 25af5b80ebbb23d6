package dev.loupe.cli.reproduce;

import dev.loupe.cli.FlagSettings;
import dev.loupe.cli.ProgressLines;
import dev.loupe.experiments.bigram.BigramReport;
import dev.loupe.experiments.bigram.BigramReproduction;
import dev.loupe.experiments.bigram.BigramResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code loupe reproduce bigram}: runs {@link BigramReproduction} and prints its report. */
@Command(name = "bigram", mixinStandardHelpOptions = true,
        description = {"Train a 0-layer transformer on text from a random bigram (Markov) process and check that its "
                + "next-token distributions, and softmax(W_E·W_U) itself, equal the bigram statistics counted in the corpus.",
                "Writes report.md, report.json and the model to --out."},
        footer = {"%nExample:", "  loupe reproduce bigram --out runs/bigram"})
final class BigramCommand implements Callable<Integer> {
    @Option(names = "--out", defaultValue = "runs/reproduce-bigram", paramLabel = "DIR", description = "Output directory (default ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--steps", defaultValue = "600", paramLabel = "N", description = "Training steps (default ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--seed", defaultValue = "1", paramLabel = "S", description = "Seed of the corpus and the weights (default ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() {
        var settings = FlagSettings.check(() -> new BigramReproduction.Settings(steps, seed));
        BigramResult x = new BigramReproduction(settings).run(new ProgressLines(System.err, "reproduce bigram"));
        System.out.print(BigramReport.write(out, x));
        System.out.println("\nwrote " + out.resolve("report.md") + ", " + out.resolve("report.json") + " and " + out.resolve("model"));
        return 0;
    }
}
