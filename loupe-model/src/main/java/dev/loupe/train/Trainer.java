package dev.loupe.train;

import dev.loupe.model.RouterLosses;
import dev.loupe.model.TrainableModel;
import dev.loupe.tensor.Tensor;

import java.util.Map;

/**
 * The training loop. One step is:
 * <ol>
 *   <li>the loader's next batch of B × T tokens;</li>
 *   <li>zero the gradients, forward + backward (mean next-token cross-entropy);</li>
 *   <li>stop with {@link NonFiniteException} when the loss or any gradient holds a NaN or an
 *       infinity, naming the step and the tensor (the last checkpoint on disk stays the last good one);</li>
 *   <li>clip the global gradient norm to {@code gradClip};</li>
 *   <li>the learning rate of this step from the schedule, and one AdamW update.</li>
 * </ol>
 * Every {@code evalEvery} steps (and after the last) the validation loss is measured; every
 * {@code checkpointEvery} steps (and after the last) the {@link Checkpointer} is called.
 *
 * <p>Deterministic: for the same model weights, settings, data and thread count the losses are the
 * same bit for bit, and {@link #restore} of a saved state continues exactly where the run stopped.
 */
public final class Trainer {

    /** Receives progress; all methods run on the training thread between steps. */
    public interface Listener {
        /** After step {@code r.step()} (1-based). */
        default void onStep(StepReport r) {}

        /** After a validation loss was measured. */
        default void onEval(long step, Evaluator.Result result) {}

        /** After a checkpoint was saved. */
        default void onCheckpoint(long step) {}
    }

    /** Saves the trainer's state; called at checkpoint steps. */
    @FunctionalInterface
    public interface Checkpointer {
        void save(Trainer trainer);
    }

    /**
     * What one step did.
     *
     * @param step           1-based index of the step just taken
     * @param steps          total steps of the run
     * @param loss           mean training loss of the batch, before the update
     * @param lr             the learning rate used
     * @param gradNorm       the global gradient norm before clipping
     * @param seconds        wall-clock seconds this step took
     * @param tokensPerSecond B·T / seconds
     * @param router         the mixture-of-experts terms of the step ({@link RouterLosses#NONE} for a dense model);
     *                       {@code loss} is the LM loss alone, the step's gradient is that of loss + aux + z
     */
    public record StepReport(long step, long steps, float loss, double lr, double gradNorm, double seconds,
                             double tokensPerSecond, RouterLosses router) {
        /** A step of a dense model. */
        public StepReport(long step, long steps, float loss, double lr, double gradNorm, double seconds, double tokensPerSecond) {
            this(step, steps, loss, lr, gradNorm, seconds, tokensPerSecond, RouterLosses.NONE);
        }
    }

    private final TrainableModel model;
    private final TrainingSettings settings;
    private final TokenData data;
    private final AdamW optimizer;
    private final TokenLoader loader;
    private final TrainingHistory history = new TrainingHistory();
    private long step;

    /** A trainer at step 0 for {@code model} (whose current weights are the starting point). */
    public Trainer(TrainableModel model, TrainingSettings settings, TokenData data) {
        this.model = model;
        this.settings = settings;
        this.data = data;
        this.optimizer = new AdamW(model.parameters(), settings.adam());
        this.loader = settings.newLoader(data.train());
        int vocab = model.config().vocabSize();
        int maxId = data.maxTokenId();
        if (maxId >= vocab) {
            throw new dev.loupe.LoupeException("the data holds token id " + maxId + " but the model's vocabulary has "
                    + vocab + " tokens (ids 0.." + (vocab - 1) + ")");
        }
        if (settings.seqLen() > model.config().nPositions()) {
            throw new dev.loupe.LoupeException("seq " + settings.seqLen() + " is longer than the model's context n_positions "
                    + model.config().nPositions());
        }
    }

    public TrainableModel model() { return model; }

    public TrainingSettings settings() { return settings; }

    public AdamW optimizer() { return optimizer; }

    public TokenLoader loader() { return loader; }

    public TrainingHistory history() { return history; }

    /** Steps taken so far. */
    public long step() { return step; }

    /**
     * Puts the trainer where a checkpoint left it; the model's weights must already be the
     * checkpoint's, and the optimizer's moments are set here.
     */
    public void restore(long stepsDone, long loaderPosition, long adamSteps, Map<String, Tensor> m, Map<String, Tensor> v,
                        TrainingHistory saved) {
        optimizer.restore(adamSteps, m, v);
        loader.seek(loaderPosition);
        step = stepsDone;
        history.steps().clear();
        history.evals().clear();
        history.steps().addAll(saved.steps());
        history.evals().addAll(saved.evals());
        history.truncate(stepsDone);
    }

    /**
     * Puts the trainer where checkpoint {@code saved} left it; the model must have been built from
     * {@code saved.weights()}.
     */
    public void restore(Checkpoints.Saved saved) {
        restore(saved.step(), saved.loaderPosition(), saved.adamSteps(), saved.m(), saved.v(), saved.history());
    }

    /** Runs the remaining steps up to {@code settings.steps()}. */
    public void run(Listener listener, Checkpointer checkpointer) {
        Map<String, Tensor> grads = model.gradients();
        while (step < settings.steps()) {
            long t0 = System.nanoTime();
            TokenBatch batch = loader.next();
            long current = step + 1;
            model.zeroGradients();
            float loss = model.forwardBackward(batch.inputs(), batch.targets(), batch.batch(), batch.seqLen());
            if (!Float.isFinite(loss)) throw new NonFiniteException(current, "loss");
            double norm = GradientNorm.checkedNorm(grads, current);
            if (settings.gradClip() > 0) GradientNorm.clip(grads, settings.gradClip(), norm);
            double lr = settings.schedule().at((int) step);
            optimizer.step(lr, grads);
            step = current;
            double seconds = (System.nanoTime() - t0) / 1e9;
            history.steps().add(new TrainingHistory.StepPoint(step, loss, lr));
            listener.onStep(new StepReport(step, settings.steps(), loss, lr, norm, seconds, batch.tokens() / seconds,
                    model.routerLosses()));

            boolean last = step == settings.steps();
            if (!data.val().isEmpty() && settings.evalEvery() > 0 && (step % settings.evalEvery() == 0 || last)) {
                Evaluator.Result r = evaluate();
                history.evals().add(new TrainingHistory.EvalPoint(step, r.loss()));
                listener.onEval(step, r);
            }
            if (checkpointer != null && (last || settings.checkpointEvery() > 0 && step % settings.checkpointEvery() == 0)) {
                checkpointer.save(this);
                listener.onCheckpoint(step);
            }
        }
    }

    /**
     * The validation loss now, on a sample: the first {@code evalBatches} batches of windows of the
     * validation shards (all of them when {@code evalBatches} is 0). The same tokens every time, so
     * the losses of a run are comparable; {@link Evaluator.Result#tokens()} says how many were counted.
     */
    public Evaluator.Result evaluate() {
        return Evaluator.evaluate(model, data.val(), settings.batch(), settings.seqLen(),
                (long) settings.evalBatches() * settings.batch());
    }

    /** The validation loss now over every window of the validation shards (what {@code loupe eval} reports). */
    public Evaluator.Result evaluateAll() {
        return Evaluator.evaluate(model, data.val(), settings.batch(), settings.seqLen(), 0);
    }

    /** Predicted tokens in all validation windows: what {@link #evaluateAll()} counts, 0 without validation data. */
    public long validationTokens() {
        return Evaluator.windowTokens(data.val(), settings.seqLen());
    }
}
