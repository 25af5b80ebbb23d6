package dev.loupe.train;

import java.util.ArrayList;
import java.util.List;

/**
 * The loss curve of a run so far: the training loss and learning rate of every step and the
 * validation losses, saved in checkpoints so that a resumed run draws its whole curve.
 */
public final class TrainingHistory {

    /** Step {@code step} (1-based) trained on a batch with mean loss {@code loss} at learning rate {@code lr}. */
    public record StepPoint(long step, float loss, double lr) {}

    /** Validation loss after {@code step} steps. */
    public record EvalPoint(long step, double loss) {}

    private final List<StepPoint> steps = new ArrayList<>();
    private final List<EvalPoint> evals = new ArrayList<>();

    public List<StepPoint> steps() { return steps; }

    public List<EvalPoint> evals() { return evals; }

    /** Keeps only the points up to and including {@code step} (when resuming from an earlier checkpoint). */
    public void truncate(long step) {
        steps.removeIf(p -> p.step() > step);
        evals.removeIf(p -> p.step() > step);
    }
}
