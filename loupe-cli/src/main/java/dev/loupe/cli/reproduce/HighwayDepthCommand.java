package dev.loupe.cli.reproduce;

import dev.loupe.cli.FlagSettings;
import dev.loupe.cli.ProgressLines;
import dev.loupe.experiments.highway.HighwayDepth;
import dev.loupe.experiments.highway.HighwayDepthReport;
import dev.loupe.experiments.report.Report;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code loupe reproduce highway-depth}: runs {@link HighwayDepth} and writes its report. */
@Command(name = "highway-depth", mixinStandardHelpOptions = true,
        description = {"Deep narrow stacks with four residual connections: the plain residual with post-LN (which struggles when deep), "
                + "the plain pre-LN residual, highway connections y = T⊙F(x) + (1 − T)⊙x (Srivastava et al. 2015) and the gated "
                + "residual y = x + T⊙F(x), trained side by side from the same seed on a generated corpus (no download).",
                "Compares the loss curves, then reads each stack the way Greff et al. (2017) did for \"unrolled iterative "
                        + "estimation\": the relative update ‖Δx‖/‖x‖ of every block, the loss when one block is removed (lesion), "
                        + "and for the gated stacks the learned gates and the share of the final stream each sublayer's transform path "
                        + "carried. Later blocks that refine rather than overwrite have small updates and cheap lesions.",
                "Writes report.html, report.json and models/ARM/ (model directories; loupe highway --model DIR/models/highway "
                        + "draws the gates per token) to --out. The default (16 blocks of width 64, 600 steps per arm) takes a few "
                        + "minutes on 2 idle cores."},
        footer = {"%nExamples:", "  loupe reproduce highway-depth", "  loupe reproduce highway-depth --layers 24 --steps 1000 --out runs/hw24",
                "  loupe reproduce highway-depth --layers 4 --d-model 32 --steps 60 --out runs/hw-tiny"})
final class HighwayDepthCommand implements Callable<Integer> {
    private static final HighwayDepth.Settings DEFAULT = HighwayDepth.Settings.standard();

    @Option(names = "--out", defaultValue = "runs/reproduce-highway-depth", paramLabel = "DIR", description = "Output directory (default ${DEFAULT-VALUE}).")
    Path out;
    @Option(names = "--layers", paramLabel = "L", description = "Blocks of every stack (default 16).")
    Integer layers;
    @Option(names = "--d-model", paramLabel = "D", description = "Residual width (default 64).")
    Integer dModel;
    @Option(names = "--heads", paramLabel = "H", description = "Attention heads per block (default 4).")
    Integer heads;
    @Option(names = "--seq", paramLabel = "T", description = "Context of each training window (default 64).")
    Integer seq;
    @Option(names = "--batch", paramLabel = "B", description = "Windows per step (default 8).")
    Integer batch;
    @Option(names = "--steps", paramLabel = "N", description = "AdamW steps of every stack (default 600).")
    Integer steps;
    @Option(names = "--lr", paramLabel = "LR", description = "Peak learning rate, cosine to lr/10 (default 2e-3).")
    Double lr;
    @Option(names = "--gate-bias", paramLabel = "b", description = "Gate bias b_T at initialisation of the gated stacks (default -2).")
    Float gateBias;
    @Option(names = "--seed", defaultValue = "1", paramLabel = "S", description = "Seed of the corpus, the weights and the batches (default ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() {
        HighwayDepth.Settings d = DEFAULT;
        HighwayDepth.Settings s = FlagSettings.check(() -> new HighwayDepth.Settings(or(layers, d.layers()), or(dModel, d.dModel()),
                or(heads, d.heads()), or(seq, d.seqLen()), or(batch, d.batch()), or(steps, d.steps()), lr != null ? lr : d.lr(),
                gateBias != null ? gateBias : d.gateBias(), d.vocab(), d.tokens(), Math.max(1, Math.min(d.evalEvery(), or(steps, d.steps()) / 4)), seed));
        HighwayDepth.Result x = new HighwayDepth(s).run(new ProgressLines(System.err, "reproduce highway-depth"));
        List<Report.Finding> findings = HighwayDepthReport.write(out, x);
        System.out.printf(Locale.ROOT, "Trained %d stacks of %d blocks in %.0f s.%n", x.arms().size(), s.layers(), x.seconds());
        for (HighwayDepth.TrainedArm a : x.arms()) {
            System.out.printf(Locale.ROOT, "  %-15s validation loss %.4f  (%.0f s)%n", a.arm().name(), a.finalLoss(), a.seconds());
        }
        System.out.println();
        for (Report.Finding f : findings) System.out.println("- " + (f.matched() ? "MATCHED" : "NOT MATCHED") + ": " + f.claim() + " — " + f.evidence());
        System.out.println("\nwrote " + out.resolve("report.html") + ", " + out.resolve("report.json") + " and " + out.resolve("models"));
        return 0;
    }

    private static int or(Integer v, int fallback) {
        return v != null ? v : fallback;
    }
}
