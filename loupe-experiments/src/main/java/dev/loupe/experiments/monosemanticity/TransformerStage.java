package dev.loupe.experiments.monosemanticity;

import dev.loupe.model.Gpt;
import dev.loupe.tokens.CharTokenizer;
import dev.loupe.train.AdamW;
import dev.loupe.train.LrSchedule;
import dev.loupe.train.TokenData;
import dev.loupe.train.Trainer;
import dev.loupe.train.TrainingSettings;

/**
 * The first stage of {@link Monosemanticity}: the one-layer transformer trained on {@link ProxyCorpus}
 * text with Loupe's {@link Trainer} (AdamW, cosine schedule, 90/10 split).
 *
 * @param gpt         the trained model
 * @param tokenizer   one token per character
 * @param firstLoss   training loss of the first step (nats per token)
 * @param lastLoss    training loss of the last step
 * @param heldOutLoss validation loss after training
 * @param seconds     wall-clock training time
 */
public record TransformerStage(Gpt gpt, CharTokenizer tokenizer, double firstLoss, double lastLoss, double heldOutLoss,
                               double seconds) {

    /** Trains the model of {@code s} ({@code progress} sees every step). */
    public static TransformerStage train(MonosemanticitySettings s, Trainer.Listener progress) {
        CharTokenizer tok = ProxyCorpus.tokenizer();
        int[] stream = tok.encode(ProxyCorpus.generate(s.seed(), s.trainTokens()));
        Gpt gpt = Gpt.create(s.config(tok.vocabSize()), s.seed());
        LrSchedule schedule = new LrSchedule(s.lr(), s.lr() / 10, Math.min(100, s.steps() / 5), s.steps(), LrSchedule.Kind.COSINE);
        TrainingSettings settings = new TrainingSettings(s.batch(), s.context(), s.steps(), schedule,
                new AdamW.Settings(0.9, 0.95, 1e-8, 0.0), 1.0, "random", s.seed(), 0, 20, 0);
        Trainer trainer = new Trainer(gpt, settings, TokenData.split(stream));
        long start = System.nanoTime();
        trainer.run(progress, null);
        double seconds = (System.nanoTime() - start) / 1e9;
        var steps = trainer.history().steps();
        return new TransformerStage(gpt, tok, steps.getFirst().loss(), steps.getLast().loss(), trainer.evaluate().loss(), seconds);
    }
}
