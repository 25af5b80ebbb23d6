package dev.loupe.experiments.quickstart;

import dev.loupe.analysis.detectors.HeadScores;
import dev.loupe.analysis.detectors.Probe;
import dev.loupe.analysis.detectors.InductionSource;
import dev.loupe.experiments.induction.InductionRecipe;
import dev.loupe.experiments.induction.TrainedModel;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * What the quickstart concludes from its two models.
 *
 * @param two            the two-layer model
 * @param one            the one-layer model
 * @param induction2     [layer, head] of the two-layer model's strongest layer-1 induction head
 * @param source         that head's induction score with each layer-0 head mean-ablated alone
 * @param previousHeads  layer 0's previous-token heads (score ≥ {@link #PREVIOUS_BAR}), [layer, head] each
 * @param withoutPrevious the induction score with all of {@link #previousHeads} mean-ablated together
 * @param induction1     [layer, head] of the one-layer model's strongest induction head
 */
public record QuickstartFindings(TrainedModel two, TrainedModel one, int[] induction2, InductionSource source, List<int[]> previousHeads,
                double withoutPrevious, int[] induction1) {
    /** The bar of the issue: an induction score of at least this, in layer 1 of the two-layer model only. */
    public static final double INDUCTION_BAR = 0.5;
    /**
     * A previous-token head puts at least this share of its attention on the token before (uniform
     * attention over a 32-token context puts about 0.13 there, averaged over positions).
     */
    public static final double PREVIOUS_BAR = 0.3;

    /** Measures what the quickstart concludes from its two models, trained with recipe {@code s}. */
    public static QuickstartFindings of(TrainedModel two, TrainedModel one, InductionRecipe s) {
        int[] ind2 = HeadScores.bestIn(two.scores().induction(), 1);
        Probe probe = Probe.standard(two.gpt().config()); // the probe of the scores: "none ablated" is the induction score itself
        InductionSource src = InductionSource.measure(two.gpt(), ind2[0], ind2[1], probe, line -> {});
        List<int[]> prev = new ArrayList<>();
        double[] p0 = two.scores().previousToken()[0];
        for (int h = 0; h < p0.length; h++) if (p0[h] >= PREVIOUS_BAR) prev.add(new int[] {0, h});
        double without = prev.isEmpty() ? src.baseline()
                : InductionSource.withAblated(two.gpt(), ind2[0], ind2[1], prev, probe);
        return new QuickstartFindings(two, one, ind2, src, prev, without, HeadScores.best(one.scores().induction()));
    }

    public double inductionScore2() { return two.scores().induction()[induction2[0]][induction2[1]]; }

    public double inductionScore1() { return one.scores().induction()[induction1[0]][induction1[1]]; }

    /** "0.0 (0.45), 0.2 (0.41)": the previous-token heads with their scores. */
    public String previousHeadsText() {
        if (previousHeads.isEmpty()) return "none";
        return previousHeads.stream().map(lh -> String.format(java.util.Locale.ROOT, "%s (%.2f)", head(lh),
                two.scores().previousToken()[lh[0]][lh[1]])).collect(Collectors.joining(", "));
    }

    /**
     * The bar: a layer-1 induction score ≥ 0.5 that rests on layer 0's previous-token heads
     * (ablating them at least halves it), and no head of the one-layer model at 0.5.
     */
    public boolean contrastShown() {
        return inductionScore2() >= INDUCTION_BAR && !previousHeads.isEmpty() && withoutPrevious < source.baseline() / 2
                && inductionScore1() < INDUCTION_BAR;
    }

    /** "1.3": layer.head. */
    public static String head(int[] lh) { return dev.loupe.analysis.circuits.HeadId.name(lh[0], lh[1]); }
}
