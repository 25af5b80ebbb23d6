package dev.loupe.experiments.lora;

import dev.loupe.model.GptConfig;

import java.nio.file.Path;
import java.util.List;

/**
 * What a {@link LoraRankSweep} measured.
 *
 * @param settings         the sweep's settings
 * @param description      what the base model and the data were ({@link SweepInputs#description()})
 * @param config           the base model's shape
 * @param baseParameters   parameters of the base model
 * @param baseTrainLoss    the base model's loss on the same training windows as {@link SweepRun#trainLoss()}
 * @param baseValLoss      the base model's loss on the held-out fine-tune text
 * @param baseOriginalLoss the base model's loss on held-out text of its own training data; NaN when unknown
 * @param valTokens        tokens predicted in each held-out evaluation
 * @param trainTokens      fine-tune training tokens
 * @param runs             the LoRA runs by ascending rank, then the full fine-tune (when asked for)
 * @param baseDir          the base model's directory (the adapters' base)
 * @param seconds          wall time of the whole sweep (pretraining excluded)
 */
public record LoraRankSweepResult(LoraRankSweep.Settings settings, String description, GptConfig config, long baseParameters,
                                  double baseTrainLoss, double baseValLoss, double baseOriginalLoss, long valTokens, long trainTokens,
                                  List<SweepRun> runs, Path baseDir, double seconds) {
    public LoraRankSweepResult {
        runs = List.copyOf(runs);
    }

    /** The LoRA runs, by ascending rank. */
    public List<SweepRun> lora() {
        return runs.stream().filter(r -> !r.full()).toList();
    }

    /** The full fine-tune, or null when the sweep had none. */
    public SweepRun full() {
        return runs.stream().filter(SweepRun::full).findFirst().orElse(null);
    }
}
