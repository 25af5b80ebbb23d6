package dev.loupe.cli.sae;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.loupe.cli.ModelRef;
import dev.loupe.cli.QuietProgress;
import dev.loupe.cli.UsageException;
import dev.loupe.cli.model.LoadedGpt;
import dev.loupe.cli.train.TrainingDataFiles;
import dev.loupe.sae.SaeFiles;
import dev.loupe.sae.SaeHookPoint;
import dev.loupe.sae.SaeMetrics;
import dev.loupe.sae.SparseAutoencoder;
import dev.loupe.tensor.io.AtomicFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code loupe sae eval}: SAELens' metrics of an SAE spliced into its model. */
@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
                "Evaluates an SAE (Loupe's or SAELens' files) spliced into its model at its hook, on the first N·T tokens",
                "of --data (text is tokenized with the model's tokenizer) cut into N = --batches consecutive",
                "non-overlapping windows of T = --context-size tokens, each run as its own context. Prints the metrics",
                "and writes metrics.json and feature_density.png (histogram of log10 feature density) to --out.",
                "",
                "Over the N·T positions, x the activation, x̂ its reconstruction, f the latents:",
                "  l0                  mean number of latents with f > 0",
                "  mse                 mean ‖x − x̂‖²",
                "  explained_variance  1 − Σ‖x − x̂‖² / Σ‖x − x̄‖², x̄ the mean activation",
                "  ce_loss_clean       mean cross-entropy of the T−1 next-token predictions",
                "                      of each window, unchanged",
                "  ce_loss_with_sae    the same with x replaced by x̂",
                "  ce_loss_with_ablation  the same with x replaced by 0",
                "  ce_loss_score       (ablation − sae) / (ablation − clean)",
                "  kl_div_with_sae     KL(clean ‖ with SAE) of the next-token distributions,",
                "                      mean over the N·T positions",
                "  kl_div_with_ablation  KL(clean ‖ ablated), likewise",
                "  kl_div_score        (kl_ablation − kl_sae) / kl_ablation",
                "  dead_features       latents never active",
                "  feature_density     per latent, the fraction of positions where it is active",
                ""},
        footer = {"", "Example:", "  loupe sae eval --model runs/shakespeare --sae runs/sae --data ../shared/data/tinyshakespeare.txt --batches 16 --context-size 64"})
public final class SaeEvalCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR|NAME", converter = ModelRef.Converter.class,
            description = "Model directory (with a tokenizer for text data), or a hub name fetched with 'loupe fetch'.")
    ModelRef model;
    @Option(names = "--sae", required = true, paramLabel = "DIR", description = "SAE directory in SAELens' layout.")
    Path sae;
    @Option(names = "--data", required = true, paramLabel = "FILE", description = "Text file or .bin token file.")
    Path data;
    @Option(names = "--batches", defaultValue = "32", description = "Number of windows N (default: ${DEFAULT-VALUE}).")
    int batches;
    @Option(names = "--context-size", description = "Tokens per window T (default: the SAE's context_size, else min(128, the model's context)).")
    Integer contextSize;
    @Option(names = "--store-batch-size-prompts", defaultValue = "8", description = "Windows per forward pass (default: ${DEFAULT-VALUE}).")
    int prompts;
    @Option(names = "--out", paramLabel = "DIR", description = "Where metrics.json and feature_density.png go (default: the SAE directory).")
    Path out;

    @Override
    public Integer call() throws Exception {
        if (batches < 1) throw new UsageException("--batches must be at least 1, got " + batches);
        if (prompts < 1) throw new UsageException("--store-batch-size-prompts must be at least 1, got " + prompts);
        LoadedGpt m = LoadedGpt.open(model);
        SparseAutoencoder s = SaeFiles.load(sae);
        SaeHookPoint.forSae(m.model().config(), s);
        Integer saeContext = s.config().metadata().contextSize();
        int t = contextSize != null ? contextSize
                : saeContext != null && saeContext <= m.model().config().nPositions() ? saeContext
                : Math.min(128, m.model().config().nPositions());
        int[] tokens = TrainingDataFiles.evalTokens(data, m.tokenizer());
        QuietProgress progress = new QuietProgress(System.err, "sae eval");
        SaeMetrics.Result r = SaeMetrics.evaluate(m.model(), s, tokens, batches, t, prompts,
                (done, total) -> progress.accept(String.format(Locale.ROOT, "%d/%d windows (%d%%)", done, total, 100 * done / total)));
        System.out.printf(Locale.ROOT, "%s on %d windows of %d tokens (%,d positions)%n", r.hookName(), r.windows(), r.contextSize(),
                (long) r.windows() * r.contextSize());
        System.out.printf(Locale.ROOT, "  l0                   %.3f%n", r.l0());
        System.out.printf(Locale.ROOT, "  mse                  %.6g%n", r.mse());
        System.out.printf(Locale.ROOT, "  explained_variance   %.4f%n", r.explainedVariance());
        System.out.printf(Locale.ROOT, "  ce_loss clean %.4f  with_sae %.4f  with_ablation %.4f  score %.4f%n",
                r.ceLossClean(), r.ceLossWithSae(), r.ceLossWithAblation(), r.ceLossScore());
        System.out.printf(Locale.ROOT, "  kl_div with_sae %.5f  with_ablation %.5f  score %.4f%n",
                r.klDivWithSae(), r.klDivWithAblation(), r.klDivScore());
        System.out.printf(Locale.ROOT, "  dead_features        %d of %d%n", r.deadFeatures(), s.dSae());
        Path dir = out != null ? out : sae;
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        AtomicFiles.writeString(dir.resolve("metrics.json"), json.writeValueAsString(r.toJson()) + "\n");
        SaeCharts.density(r.featureDensity(), "Feature density, " + r.hookName(), dir);
        System.out.println("wrote " + dir.resolve("metrics.json") + " and " + dir.resolve(SaeCharts.DENSITY_PNG));
        return 0;
    }
}
