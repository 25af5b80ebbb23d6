package dev.loupe.experiments.induction;

import dev.loupe.analysis.detectors.HeadDetectors;
import dev.loupe.analysis.detectors.Probe;
import dev.loupe.analysis.detectors.HeadScores;
import dev.loupe.analysis.detectors.IclScore;
import dev.loupe.experiments.Progress;
import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.train.AdamW;
import dev.loupe.train.LrSchedule;
import dev.loupe.train.TokenData;
import dev.loupe.train.Trainer;
import dev.loupe.train.TrainingSettings;

import java.util.ArrayList;
import java.util.List;

/**
 * One attention-only model trained on the {@link InductionRecipe}'s text and measured (the quickstart's two
 * models, the induction reproduction's one).
 *
 * @param name       "attn-only-2l" or "attn-only-1l"
 * @param gpt        the trained model
 * @param losses     training loss of every step
 * @param induction  (step, best induction score of any head) measured every {@link #PROBE_EVERY} steps
 * @param seconds    wall-clock training time
 * @param finalLoss  loss on held-out text after training
 * @param scores     detector scores of every head on repeated random symbols
 * @param icl        in-context-learning score on held-out text
 */
public record TrainedModel(String name, Gpt gpt, List<Float> losses, List<double[]> induction, double seconds, double finalLoss,
                    HeadScores scores, IclScore icl) {
    public static final int PROBE_EVERY = 100;

    /**
     * Trains an attention-only model of {@code layers} layers on {@code data} for {@code steps}
     * steps and measures it; {@code heldOut} is text it never trained on. Training steps go to {@code progress}.
     */
    public static TrainedModel train(String name, int layers, InductionRecipe s, TokenData data, int[] heldOut, Progress progress) {
        GptConfig config = s.config(layers);
        Gpt gpt = Gpt.create(config, s.seed());
        LrSchedule schedule = new LrSchedule(s.lr(), s.lr() / 10, s.warmup(), s.steps(), LrSchedule.Kind.COSINE);
        TrainingSettings settings = new TrainingSettings(s.batch(), s.context(), s.steps(), schedule,
                new AdamW.Settings(0.9, 0.95, 1e-8, s.weightDecay()), 1.0, "random", s.seed(), 0, 50, 0);
        Trainer trainer = new Trainer(gpt, settings, data);
        List<Float> losses = new ArrayList<>();
        List<double[]> induction = new ArrayList<>();
        long start = System.nanoTime();
        try (Progress.Training listener = progress.training(s.steps())) {
            trainer.run(new Trainer.Listener() {
                @Override
                public void onStep(Trainer.StepReport r) {
                    listener.onStep(r);
                    losses.add(r.loss());
                    if (r.step() % PROBE_EVERY == 0 || r.step() == r.steps()) {
                        HeadScores h = probe(gpt, s);
                        int[] b = HeadScores.best(h.induction());
                        induction.add(new double[] {r.step(), h.induction()[b[0]][b[1]]});
                    }
                }
            }, null);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        double finalLoss = trainer.evaluate().loss();
        IclScore icl = IclScore.measure(gpt, heldOut, s.context(), 1000);
        return new TrainedModel(name, gpt, losses, induction, seconds, finalLoss, probe(gpt, s), icl);
    }

    /** Detector scores on the standard probe ({@link Probe#standard}): the numbers {@code detect} and the explorer show. */
    public static HeadScores probe(Gpt gpt, InductionRecipe s) {
        return HeadDetectors.on(gpt, Probe.standard(gpt.config()));
    }

    /** The probe of {@link #scores()}: the standard probe of this model. */
    public Probe detectorProbe() {
        return Probe.standard(gpt.config());
    }

    public int layers() { return gpt.config().nLayer(); }
}
