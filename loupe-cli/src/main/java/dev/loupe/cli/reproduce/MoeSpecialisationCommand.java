package dev.loupe.cli.reproduce;

import dev.loupe.cli.FlagSettings;
import dev.loupe.cli.ProgressLines;
import dev.loupe.cli.UsageException;
import dev.loupe.experiments.moe.MoeSpecialisation;
import dev.loupe.experiments.moe.MoeSpecialisationReport;
import dev.loupe.experiments.moe.MoeSpecialisationResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code loupe reproduce moe-specialisation}: runs {@link MoeSpecialisation} and prints its report. */
@Command(name = "moe-specialisation", mixinStandardHelpOptions = true,
        description = {"Train three small models on a generated corpus mixing four sources (English sentences, arithmetic lines, "
                + "C-like code, Greek-letter words): a 2-layer mixture-of-experts model without the load-balancing loss, the same "
                + "with it, and a dense model whose MLP has the MoE's active width. Then route held-out text through each MoE and "
                + "report per layer the load (counts, coefficient of variation, dead experts), RᵀR, router entropy and the mutual "
                + "information between a token's source and its expert: collapse without the aux loss, specialisation with it, "
                + "and the loss against the dense model.",
                "Writes report.md, report.json, report.html and the three models (without-aux/, with-aux/, dense/) to --out; "
                        + "a few minutes on 2 cores. Read a model further with 'loupe moe'."},
        footer = {"%nExamples:", "  loupe reproduce moe-specialisation",
                "  loupe reproduce moe-specialisation --out runs/moe --experts 8 --top-k 2 --steps 1200"})
final class MoeSpecialisationCommand implements Callable<Integer> {
    @Option(names = "--out", defaultValue = "runs/reproduce-moe-specialisation", paramLabel = "DIR", description = "Output directory (default ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--steps", paramLabel = "N", description = "Training steps per model (default: 800).")
    Integer steps;

    @Option(names = "--experts", paramLabel = "E", description = "Experts per MoE layer, 2–16 (default: 4).")
    Integer experts;

    @Option(names = "--top-k", paramLabel = "K", description = "Experts per token, 1–E (default: 2; with 1 the router gets no gradient from the language-model loss).")
    Integer topK;

    @Option(names = "--aux-loss-coef", paramLabel = "A", description = "α of the load-balancing loss in the run that has it (default: 0.01).")
    Float aux;

    @Option(names = "--chars", paramLabel = "N", description = "Training corpus size in characters, one token each (default: 400000).")
    Integer chars;

    @Option(names = "--seed", defaultValue = "1", paramLabel = "S", description = "Seed of the corpus and the weights (default ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() {
        MoeSpecialisation.Settings d = MoeSpecialisation.Settings.defaults();
        var settings = FlagSettings.check(() -> new MoeSpecialisation.Settings(steps != null ? steps : d.steps(), experts != null ? experts : d.experts(),
                topK != null ? topK : d.topK(), d.dExpert(), aux != null ? aux : d.auxLossCoef(), d.zLossCoef(), chars != null ? chars : d.chars(), seed));
        if (Files.exists(out) && !Files.isDirectory(out)) throw new UsageException("--out " + out + " exists and is not a directory");
        MoeSpecialisationResult x = new MoeSpecialisation(settings).run(new ProgressLines(System.err, "reproduce moe-specialisation"));
        System.out.print(MoeSpecialisationReport.write(out, x));
        System.out.println("\nwrote " + out.resolve("report.md") + ", " + out.resolve("report.json") + ", " + out.resolve("report.html")
                + " and the models " + out.resolve("without-aux") + ", " + out.resolve("with-aux") + ", " + out.resolve("dense"));
        return 0;
    }
}
