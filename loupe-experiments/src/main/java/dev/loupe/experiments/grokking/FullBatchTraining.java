package dev.loupe.experiments.grokking;

import dev.loupe.LoupeException;
import dev.loupe.model.Gpt;
import dev.loupe.model.LastPositionLoss;
import dev.loupe.train.AdamW;
import dev.loupe.train.LrSchedule;

/**
 * One training step of the grokking run, as {@link Grokking} and the benchmark both take it:
 * the gradient of the answer-position loss over the whole training set ({@link LastPositionLoss}),
 * then AdamW (β₁, β₂, weight decay of the settings, ε 1e-8) at the warmed-up learning rate
 * lr·(it + 1)/(warmup + 1) for it &lt; warmup, then lr.
 */
public final class FullBatchTraining {
    private final Gpt gpt;
    private final LastPositionLoss head;
    private final AdamW adam;
    private final LrSchedule schedule;
    private final int[] ids, answers;
    private final int n;

    /** Training {@code gpt} on the training pairs of {@code data}. */
    public FullBatchTraining(Gpt gpt, GrokkingSettings s, ModularAddition data) {
        this.gpt = gpt;
        head = new LastPositionLoss(gpt);
        adam = new AdamW(gpt.parameters(), new AdamW.Settings(s.beta1(), s.beta2(), 1e-8, s.weightDecay()));
        schedule = new LrSchedule(s.lr(), s.lr(), s.warmup(), s.steps(), LrSchedule.Kind.CONSTANT);
        ids = data.inputs(data.train());
        answers = data.answers(data.train());
        n = data.train().length;
    }

    /** Update number {@code it} (0-based); returns the training loss before it. */
    public float step(int it) {
        gpt.zeroGradients();
        float loss = head.forwardBackward(ids, answers, n, ModularAddition.SEQ);
        if (!Float.isFinite(loss)) throw new LoupeException("grokking: the training loss is " + loss + " at step " + (it + 1));
        adam.step(schedule.at(it), gpt.gradients());
        return loss;
    }

    /**
     * Milliseconds per step (the median of {@code steps} timed steps after {@code warmup} untimed ones,
     * which let the JIT compile) of a fresh model of {@code s}: the figure compared with PyTorch.
     */
    public static double medianMsPerStep(GrokkingSettings s, int warmup, int steps) {
        ModularAddition data = ModularAddition.split(s.p(), s.trainFraction(), s.seed());
        FullBatchTraining t = new FullBatchTraining(GrokkingModel.create(s), s, data);
        for (int i = 0; i < warmup; i++) t.step(i);
        double[] ms = new double[steps];
        for (int i = 0; i < steps; i++) {
            long t0 = System.nanoTime();
            t.step(warmup + i);
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        java.util.Arrays.sort(ms);
        return steps % 2 == 1 ? ms[steps / 2] : (ms[steps / 2 - 1] + ms[steps / 2]) / 2;
    }
}
