package dev.loupe.experiments.skiptrigrams;

import dev.loupe.analysis.circuits.SkipTrigrams;
import dev.loupe.model.Gpt;
import dev.loupe.tokens.CharTokenizer;

import java.util.List;

/**
 * What {@link SkipTrigramReproduction} found, per head h of the single layer.
 *
 * @param copying      OV copying score Σλ/Σ|λ| of the trained model, [head]
 * @param copyingInit  the same at initialisation, [head]
 * @param selfShare    share of source tokens whose strongest OV output is themselves, [head]
 * @param best         the head with the largest copying score
 * @param skipTrigrams that head's 10 strongest skip-trigrams by QK score
 * @param lossFirst    training loss of the first step
 * @param lossLast     training loss of the last step
 */
public record SkipTrigramResult(SkipTrigramReproduction.Settings settings, Gpt gpt, CharTokenizer tokenizer, double[] copying,
                                double[] copyingInit, double[] selfShare, int best, List<SkipTrigrams.SkipTrigram> skipTrigrams,
                                float lossFirst, float lossLast) {
    /** Heads with a positive copying score. */
    public int positiveHeads() {
        int n = 0;
        for (double c : copying) if (c > 0) n++;
        return n;
    }

    /** The mean over heads of {@link #selfShare}. */
    public double meanSelfShare() {
        double m = 0;
        for (double s : selfShare) m += s / selfShare.length;
        return m;
    }

    /** How many of {@link #skipTrigrams} copy (out = source). */
    public int copies() {
        return (int) skipTrigrams.stream().filter(s -> s.out() == s.source()).count();
    }
}
