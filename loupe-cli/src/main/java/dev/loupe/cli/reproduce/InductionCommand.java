package dev.loupe.cli.reproduce;

import dev.loupe.cli.ModelRef;
import dev.loupe.cli.FlagSettings;
import dev.loupe.cli.ProgressLines;
import dev.loupe.cli.UsageException;
import dev.loupe.cli.circuits.CircuitsHtml;
import dev.loupe.cli.model.LoadedGpt;
import dev.loupe.experiments.induction.InductionReport;
import dev.loupe.experiments.induction.InductionReproduction;
import dev.loupe.experiments.induction.InductionResult;
import dev.loupe.experiments.report.Report;
import dev.loupe.tensor.io.AtomicFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.function.IntFunction;

/**
 * {@code loupe reproduce induction}: runs {@link InductionReproduction} (or reads a given model with it),
 * prints its report and adds the circuits view of the model ({@code circuits.html}).
 */
@Command(name = "induction", mixinStandardHelpOptions = true,
        description = {"Train a 2-layer attention-only transformer on generated text with recurring spans until an induction head "
                + "forms (about 30 s on 2 cores), or read a model you give with --model (such as the quickstart's "
                + "runs/quickstart/attn-only-2l), and check the paper's reading of it: the induction head of layer 1 K-composes "
                + "with the previous-token head of layer 0 — that pair's K-composition score ‖W_OV^prev · (W_QK^ind)ᵀ‖_F / "
                + "(‖W_OV^prev‖_F ‖W_QK^ind‖_F) stands far above the score of random matrices and above every other pair — and "
                + "the induction head copies. The heads are found by behaviour (attention on repeated random tokens, and which "
                + "ablation breaks the induction head), the composition from the weights alone.",
                "Writes report.md, report.json, circuits.html (composition heatmaps) and the model (when trained) to --out."},
        footer = {"%nExamples:", "  loupe reproduce induction", "  loupe reproduce induction --model runs/quickstart/attn-only-2l --out runs/qs-induction",
                "On the quickstart's model the layer-0 previous-token heads share the job (ablating one leaves the others),",
                "so the findings that name ONE previous-token head come out NOT MATCHED there; the report says which heads."})
final class InductionCommand implements Callable<Integer> {
    @Option(names = "--out", defaultValue = "runs/reproduce-induction", paramLabel = "DIR", description = "Output directory (default ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--steps", defaultValue = "4000", paramLabel = "N", description = "Training steps (default ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--seed", defaultValue = "1", paramLabel = "S", description = "Seed of the corpus and the weights (default ${DEFAULT-VALUE}); the probe is the standard one of loupe detect.")
    long seed;

    @picocli.CommandLine.Mixin
    dev.loupe.cli.model.NonFiniteOption nonFinite = new dev.loupe.cli.model.NonFiniteOption();

    @Option(names = "--model", paramLabel = "DIR|NAME", converter = ModelRef.Converter.class,
            description = "Read this model (at least 2 layers) instead of training one, e.g. the quickstart's runs/quickstart/attn-only-2l.")
    ModelRef model;

    @Override
    public Integer call() {
        var settings = FlagSettings.check(() -> new InductionReproduction.Settings(steps, seed));
        ProgressLines progress = new ProgressLines(System.err, "reproduce induction");
        InductionResult x;
        Path given = null;
        IntFunction<String> tokenText;
        if (model == null) {
            x = new InductionReproduction(settings).run(progress);
            tokenText = x.recipe().tokenizer()::tokenText;
        } else {
            LoadedGpt loaded = LoadedGpt.open(model, nonFinite.allowed());
            given = loaded.dir();
            tokenText = loaded.tokenizer().<IntFunction<String>>map(t -> t::tokenText).orElse(null);
            try {
                x = InductionReproduction.read(loaded.model(), model.toString(), progress);
            } catch (IllegalArgumentException e) {
                throw new UsageException("--model " + model + ": " + e.getMessage());
            }
        }
        Path modelDir = InductionReport.modelDir(x, out, given);
        Report r = InductionReport.of(x);
        AtomicFiles.writeString(out.resolve("circuits.html"), CircuitsHtml.page(x.gpt(), tokenText, modelDir.toString(), progress::detail));
        r.paragraph("Heatmaps of every Q-, K- and V-composition score against the baseline, and each head's copying and matching "
                + "scores: `circuits.html` (what `loupe circuits --model %s --html FILE` writes).", modelDir);
        System.out.print(InductionReport.write(out, x, r, given));
        System.out.println("\nwrote " + out.resolve("report.md") + ", " + out.resolve("report.json") + ", " + out.resolve("circuits.html")
                + (model == null ? " and " + modelDir : ""));
        return 0;
    }
}
