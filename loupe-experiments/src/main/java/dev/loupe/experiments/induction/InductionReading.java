package dev.loupe.experiments.induction;

import dev.loupe.analysis.circuits.Composition;
import dev.loupe.analysis.circuits.CompositionBaseline;
import dev.loupe.analysis.circuits.CompositionScores;
import dev.loupe.analysis.circuits.HeadCircuits;
import dev.loupe.analysis.circuits.HeadId;
import dev.loupe.analysis.detectors.HeadDetectors;
import dev.loupe.analysis.detectors.HeadScores;
import dev.loupe.analysis.detectors.Probe;
import dev.loupe.analysis.detectors.InductionSource;
import dev.loupe.experiments.Progress;
import dev.loupe.model.Gpt;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The two-layer induction circuit of a model, read two ways and set side by side: from behaviour
 * (attention on repeated random tokens: which head is the strongest induction head, which earlier
 * head the strongest previous-token head, and how much mean-ablating each earlier head lowers the
 * induction score) and from the weights alone (the Q-, K- and V-composition scores of every pair
 * against a random baseline, and the induction head's OV copying score). Elhage et al. (2021)
 * predict that the two agree: the induction head's keys read the previous-token head's output, so
 * that pair's K-composition stands out.
 *
 * @param gpt        the model read
 * @param probe      the probe of every score ({@link Probe#standard}: the numbers detect and the explorer show)
 * @param scores     detector scores of every head on the probe
 * @param induction  the strongest induction head in layers ≥ 1
 * @param previous   the strongest previous-token head in a layer below {@code induction}
 * @param source     the induction score with each earlier head mean-ablated
 * @param composition every composition score (raw weights, row-vector convention)
 * @param baselines  the score of random matrices of the same shapes, per kind
 * @param copying    OV copying score Σλ/Σ|λ| of every head's full OV circuit, [layer][head]
 */
public record InductionReading(Gpt gpt, Probe probe, HeadScores scores, HeadId induction, HeadId previous, InductionSource source,
                        CompositionScores composition, Map<Composition, CompositionBaseline> baselines, double[][] copying) {
    /** Random draws of the baseline: the same number as {@code loupe circuits} ({@link CompositionBaseline#DEFAULT_DRAWS}). */
    public static final int BASELINE_DRAWS = CompositionBaseline.DEFAULT_DRAWS;
    /**
     * Reads {@code gpt} (at least 2 layers) on {@code probe} (detector scores and ablations alike); the
     * baseline draws are fixed. Each piece of the reading is a {@link Progress#detail}.
     */
    public static InductionReading of(Gpt gpt, Probe probe, Progress progress) {
        int layers = gpt.config().nLayer(), heads = gpt.config().nHead();
        if (layers < 2) throw new IllegalArgumentException("an induction circuit needs at least 2 layers, the model has " + layers);
        progress.detail("detector scores of every head");
        HeadScores scores = HeadDetectors.on(gpt, probe);
        HeadId induction = best(scores.induction(), 1, layers);
        HeadId previous = best(scores.previousToken(), 0, induction.layer());
        InductionSource source = InductionSource.measure(gpt, induction.layer(), induction.head(), probe, progress::detail);   // the same probe
        HeadCircuits circuits = new HeadCircuits(gpt);
        CompositionScores composition = CompositionScores.compute(circuits, progress::detail);
        Map<Composition, CompositionBaseline> baselines = new EnumMap<>(Composition.class);
        for (Composition k : Composition.values()) {
            progress.detail(k + "-composition baseline (" + BASELINE_DRAWS + " random pairs)");
            baselines.put(k, CompositionBaseline.of(k, circuits.dModel(), circuits.dHead(), BASELINE_DRAWS, 0));
        }
        double[][] copying = new double[layers][heads];
        for (int l = 0; l < layers; l++) {
            progress.detail("OV copying scores of layer " + l);
            for (int h = 0; h < heads; h++) copying[l][h] = circuits.ovCopyingScore(l, h);
        }
        return new InductionReading(gpt, probe, scores, induction, previous, source, composition, baselines, copying);
    }

    /** The head with the largest score in layers [from, to). */
    private static HeadId best(double[][] s, int from, int to) {
        HeadId best = new HeadId(from, 0);
        for (int l = from; l < to; l++) {
            for (int h = 0; h < s[l].length; h++) if (s[l][h] > s[best.layer()][best.head()]) best = new HeadId(l, h);
        }
        return best;
    }

    public double inductionScore() { return scores.induction()[induction.layer()][induction.head()]; }

    public double previousScore() { return scores.previousToken()[previous.layer()][previous.head()]; }

    /** The induction score with the previous-token head mean-ablated. */
    public double withoutPrevious() { return source.ablated()[previous.layer()][previous.head()]; }

    /** The heads below the induction head's layer with a previous-token score ≥ {@code bar}. */
    public List<HeadId> previousHeads(double bar) {
        List<HeadId> out = new ArrayList<>();
        for (int l = 0; l < induction.layer(); l++) {
            for (int h = 0; h < scores.heads(); h++) if (scores.previousToken()[l][h] >= bar) out.add(new HeadId(l, h));
        }
        return out;
    }

    /** The induction score with all of {@link #previousHeads} mean-ablated at once. */
    public double withoutAllPrevious(double bar) {
        List<int[]> heads = previousHeads(bar).stream().map(h -> new int[] {h.layer(), h.head()}).toList();
        return InductionSource.withAblated(gpt, induction.layer(), induction.head(), heads, probe);
    }

    /** The {@code kind} score of the previous-token head → the induction head. */
    public double pairScore(Composition kind) { return composition.score(kind, previous, induction); }

    public double pairZ(Composition kind) { return baselines.get(kind).zScore(pairScore(kind)); }

    /** Every pair by descending {@code kind} score. */
    public List<CompositionScores.Pair> ranked(Composition kind) {
        return composition.pairs().stream().sorted(Comparator.comparingDouble((CompositionScores.Pair p) -> p.get(kind)).reversed()).toList();
    }

    /** 1 when the previous-token → induction pair has the largest {@code kind} score of all pairs. */
    public int pairRank(Composition kind) {
        List<CompositionScores.Pair> r = ranked(kind);
        for (int i = 0; i < r.size(); i++) if (r.get(i).from().equals(previous) && r.get(i).to().equals(induction)) return i + 1;
        throw new IllegalStateException("the pair " + previous + " → " + induction + " has no composition score");
    }

    /** The strongest {@code kind} pair other than previous-token → induction (none when the model has one head per layer and 2 layers). */
    public Optional<CompositionScores.Pair> runnerUp(Composition kind) {
        return ranked(kind).stream().filter(p -> !(p.from().equals(previous) && p.to().equals(induction))).findFirst();
    }
}
