package dev.loupe.experiments;

import dev.loupe.train.Trainer;

import java.util.Locale;

/**
 * How an experiment says how far it has got, so that a long run is never silent: the CLI turns these
 * calls into its progress lines on stderr, a notebook or a test may ignore them ({@link #SILENT}).
 * An experiment calls {@link #stage} when a stage of its work begins, {@link #detail} for smaller
 * pieces of a stage (worth showing only when the stage is slow), {@link #step} as a loop advances, and
 * takes a {@link Training} listener for each {@link Trainer} loop.
 */
public interface Progress {
    /** Ignores everything. */
    Progress SILENT = message -> { };

    /** A stage of the work begins, e.g. "training a 0-layer model (d_model 32, vocab 24) for 600 steps". */
    void stage(String message);

    /** A smaller piece of the current stage begins, e.g. "K-composition baseline (256 random pairs)". */
    default void detail(String message) {}

    /**
     * {@code done} of {@code total} units of the current stage are finished; {@code status} says what
     * the latest unit found (e.g. "loss 0.0123"), without the counts.
     */
    default void step(long done, long total, String status) {}

    /** A listener for a {@link Trainer} loop of {@code steps} steps; the experiment closes it when the loop ends. */
    default Training training(long steps) {
        return new Training() {
            @Override
            public void onStep(Trainer.StepReport r) {
                step(r.step(), r.steps(), String.format(Locale.ROOT, "loss %.4f  lr %.2e", r.loss(), r.lr()));
            }
        };
    }

    /** A {@link Trainer.Listener} that is closed when its loop ends (a progress bar, say, is then taken down). */
    interface Training extends Trainer.Listener, AutoCloseable {
        @Override
        default void close() {}
    }
}
