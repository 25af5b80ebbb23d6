package dev.loupe.train;

/**
 * Everything that decides a training run apart from the model and the data; saved in every
 * checkpoint so that a resumed run continues with the same settings.
 *
 * @param batch           B, rows per batch
 * @param seqLen          T, tokens per row
 * @param steps           total number of optimizer steps of the run
 * @param schedule        learning-rate schedule (peak, floor, warm-up, kind) and its own length: fixed when the
 *                        run starts, so extending a run ({@link #withSteps}) keeps it (past its end the rate
 *                        stays at the floor, or at the peak for a constant schedule)
 * @param adam            AdamW's β₁, β₂, ε and weight decay
 * @param gradClip        maximum global gradient norm; 0 turns clipping off
 * @param loader          "random", "sequential" (llm.c's unshuffled order) or "shuffled" (llm.c's
 *                        {@code train_gpt2.c} training order, {@link ShuffledLoader})
 * @param seed            seeds the weights of a new model and the random loader
 * @param evalEvery       evaluate the validation loss every this many steps (and at the end); 0 = never
 * @param evalBatches     how many batches of B × T validation tokens one evaluation during the run reads (at
 *                        most; 0 = the whole validation set): a sample, labelled as such wherever it is shown
 * @param checkpointEvery save a checkpoint every this many steps (and at the end); 0 = only at the end
 */
public record TrainingSettings(int batch, int seqLen, int steps, LrSchedule schedule, AdamW.Settings adam,
                               double gradClip, String loader, long seed, int evalEvery, int evalBatches,
                               int checkpointEvery) {
    public TrainingSettings {
        if (batch < 1) throw new IllegalArgumentException("batch must be positive, got " + batch);
        if (seqLen < 1) throw new IllegalArgumentException("seq must be positive, got " + seqLen);
        if (steps < 1) throw new IllegalArgumentException("steps must be positive, got " + steps);
        if (!(gradClip >= 0)) throw new IllegalArgumentException("grad-clip must not be negative, got " + gradClip);
        if (!LOADERS.contains(loader)) {
            throw new IllegalArgumentException("loader must be random, sequential or shuffled, got " + loader);
        }
        if (evalEvery < 0 || evalBatches < 0 || checkpointEvery < 0) {
            throw new IllegalArgumentException("eval-every, eval batches and checkpoint-every must not be negative");
        }
    }

    /** The loader names, as on the command line and in checkpoints. */
    public static final java.util.List<String> LOADERS = java.util.List.of("random", "sequential", "shuffled");

    /**
     * The same settings with a different number of steps and the same learning-rate schedule: the
     * rate of every step already taken, and of every later one, is what the original run planned
     * (no jump at the old end); steps past the schedule's end run at its floor.
     */
    public TrainingSettings withSteps(int newSteps) {
        return new TrainingSettings(batch, seqLen, newSteps, schedule, adam, gradClip, loader, seed, evalEvery, evalBatches,
                checkpointEvery);
    }

    /** The same settings measured differently: these only decide when to evaluate and save, never what is learned. */
    public TrainingSettings withMeasurement(int newEvalEvery, int newEvalBatches, int newCheckpointEvery) {
        return new TrainingSettings(batch, seqLen, steps, schedule, adam, gradClip, loader, seed, newEvalEvery, newEvalBatches,
                newCheckpointEvery);
    }

    /** The loader these settings ask for, over the training shards. */
    public TokenLoader newLoader(java.util.List<int[]> shards) {
        return switch (loader) {
            case "random" -> new RandomLoader(shards, batch, seqLen, seed);
            case "shuffled" -> new ShuffledLoader(shards, batch, seqLen);
            default -> new SequentialLoader(shards, batch, seqLen);
        };
    }
}
