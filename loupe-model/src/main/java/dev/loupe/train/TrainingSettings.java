package dev.loupe.train;

/**
 * Everything that decides a training run apart from the model and the data; saved in every
 * checkpoint so that a resumed run continues with the same settings.
 *
 * @param batch           B, rows per batch
 * @param seqLen          T, tokens per row
 * @param steps           total number of optimizer steps of the run
 * @param schedule        learning-rate schedule (peak, floor, warm-up, kind)
 * @param adam            AdamW's β₁, β₂, ε and weight decay
 * @param gradClip        maximum global gradient norm; 0 turns clipping off
 * @param loader          "random" or "sequential"
 * @param seed            seeds the weights of a new model and the random loader
 * @param evalEvery       evaluate the validation loss every this many steps (and at the end); 0 = never
 * @param evalBatches     how many batches of B × T validation tokens one evaluation reads (at most)
 * @param checkpointEvery save a checkpoint every this many steps (and at the end); 0 = only at the end
 */
public record TrainingSettings(int batch, int seqLen, int steps, LrSchedule schedule, AdamW.Settings adam,
                               double gradClip, String loader, long seed, int evalEvery, int evalBatches,
                               int checkpointEvery) {
    public TrainingSettings {
        if (batch < 1) throw new IllegalArgumentException("batch must be positive, got " + batch);
        if (seqLen < 1) throw new IllegalArgumentException("seq must be positive, got " + seqLen);
        if (steps < 1) throw new IllegalArgumentException("steps must be positive, got " + steps);
        if (schedule.steps() != steps) throw new IllegalArgumentException("the schedule's steps differ from the run's");
        if (!(gradClip >= 0)) throw new IllegalArgumentException("grad-clip must not be negative, got " + gradClip);
        if (!loader.equals("random") && !loader.equals("sequential")) {
            throw new IllegalArgumentException("loader must be random or sequential, got " + loader);
        }
        if (evalEvery < 0 || evalBatches < 0 || checkpointEvery < 0) {
            throw new IllegalArgumentException("eval-every, eval batches and checkpoint-every must not be negative");
        }
    }

    /** The same settings with a different number of steps (the schedule stretched accordingly). */
    public TrainingSettings withSteps(int newSteps) {
        LrSchedule s = new LrSchedule(schedule.lr(), schedule.minLr(), schedule.warmup(), newSteps, schedule.kind());
        return new TrainingSettings(batch, seqLen, newSteps, s, adam, gradClip, loader, seed, evalEvery, evalBatches,
                checkpointEvery);
    }

    /** The loader these settings ask for, over the training shards. */
    public TokenLoader newLoader(java.util.List<int[]> shards) {
        return loader.equals("random") ? new RandomLoader(shards, batch, seqLen, seed)
                : new SequentialLoader(shards, batch, seqLen);
    }
}
