package dev.loupe.experiments.skiptrigrams;

import dev.loupe.analysis.circuits.FactoredMatrix;
import dev.loupe.analysis.circuits.HeadCircuits;
import dev.loupe.analysis.circuits.SkipTrigrams;
import dev.loupe.experiments.Alphabet;
import dev.loupe.experiments.Progress;
import dev.loupe.experiments.StreamTraining;
import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;

/**
 * A 1-layer attention-only transformer is a bigram model plus skip-trigrams "[source] … [destination]
 * → [out]", and most of its heads copy: their full OV circuit W_E·W_OV·W_U has mostly positive
 * eigenvalues ("A Mathematical Framework for Transformer Circuits", §"One-Layer Attention-Only
 * Transformers", "Copying / Primitive In-Context Learning"). Trains one on {@link TopicDocuments} and
 * measures the copying score of every head against the freshly initialised model's, the share of
 * source tokens whose strongest OV output is the token itself, and the strongest skip-trigrams.
 * {@link SkipTrigramReport} writes the result.
 */
public final class SkipTrigramReproduction {
    public static final int VOCAB = 32, D_MODEL = 64, HEADS = 4, SEQ = 32, BATCH = 16, TOKENS = 200_000;

    /**
     * @param steps training steps, 20…100 000
     * @param seed  seed of the corpus and the weights
     */
    public record Settings(int steps, long seed) {
        public Settings {
            if (steps < 20 || steps > 100_000) throw new IllegalArgumentException("steps must be between 20 and 100000, got " + steps);
        }

        /** 500 steps, seed 1: what {@code loupe reproduce skip-trigrams} runs. */
        public static Settings defaults() {
            return new Settings(500, 1);
        }
    }

    private final Settings settings;

    public SkipTrigramReproduction(Settings settings) {
        this.settings = settings;
    }

    /** Generates the corpus, trains the model and reads its heads. */
    public SkipTrigramResult run(Progress progress) {
        long seed = settings.seed();
        int[] stream = TopicDocuments.generate(seed, TOKENS, VOCAB);
        GptConfig c = new GptConfig(VOCAB, SEQ, D_MODEL, 1, HEADS, 0, 1e-5f, false, GptConfig.Norm.PRE, GptConfig.Mlp.NONE,
                GptConfig.Positional.LEARNED);
        Gpt gpt = Gpt.create(c, seed);
        double[] before = copyingScores(new HeadCircuits(gpt));
        progress.stage("training a 1-layer attention-only model (" + HEADS + " heads, d_model " + D_MODEL + ") for "
                + settings.steps() + " steps");
        float[] loss = StreamTraining.train(gpt, stream, BATCH, SEQ, settings.steps(), 3e-3, seed, progress);
        HeadCircuits circuits = new HeadCircuits(gpt);
        double[] after = copyingScores(circuits);
        double[] selfShare = new double[HEADS];
        int best = 0;
        for (int h = 0; h < HEADS; h++) {
            selfShare[h] = selfShare(circuits.fullOv(0, h));
            if (after[h] > after[best]) best = h;
        }
        return new SkipTrigramResult(settings, gpt, Alphabet.letters(VOCAB), after, before, selfShare, best,
                SkipTrigrams.of(circuits, 0, best, 10), loss[0], loss[1]);
    }

    static double[] copyingScores(HeadCircuits c) {
        double[] s = new double[c.heads()];
        for (int h = 0; h < s.length; h++) s[h] = c.ovCopyingScore(0, h);
        return s;
    }

    /** The share of rows of the full OV circuit whose largest entry is on the diagonal (the source token itself). */
    static double selfShare(FactoredMatrix ov) {
        int hits = 0;
        for (int i = 0; i < ov.rows(); i++) if (ov.topInRow(i, 1).getFirst().column() == i) hits++;
        return (double) hits / ov.rows();
    }
}
