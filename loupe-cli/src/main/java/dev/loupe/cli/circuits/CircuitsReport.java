package dev.loupe.cli.circuits;

import dev.loupe.analysis.circuits.Composition;
import dev.loupe.analysis.circuits.CompositionBaseline;
import dev.loupe.analysis.circuits.CompositionScores;
import dev.loupe.analysis.circuits.HeadCircuits;
import dev.loupe.analysis.circuits.HeadId;
import dev.loupe.analysis.circuits.TokenPair;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.IntFunction;
import java.util.function.Predicate;

/**
 * What {@code loupe circuits} shows, computed once and rendered as text or JSON: per selected head the
 * copying and matching scores and (when scanned) the top token pairs of its full OV and QK circuits;
 * the composition scores of every pair that involves a selected head; the random baselines.
 */
record CircuitsReport(HeadCircuits circuits, List<Head> heads, List<CompositionScores.Pair> compositions,
                      Map<Composition, CompositionBaseline> baselines, boolean pairsScanned, long pairScanFlops) {

    /** Seed of the baseline's random draws: fixed, so a report is reproducible. */
    static final long BASELINE_SEED = 0;

    /** Scanning every selected head's two V × V circuits costs more than this: token pairs only for explicitly chosen heads. */
    static final double PAIR_SCAN_BUDGET_FLOPS = 2e11;

    /** One head's row of the report; the pair lists are empty when not scanned. */
    record Head(HeadId id, double ovCopying, double qkMatching, List<TokenPair> ovPairs, List<TokenPair> qkPairs) {}

    static CircuitsReport compute(HeadCircuits c, Predicate<HeadId> selected, boolean explicitSelection, int top,
                                  IntFunction<String> tokenText, Consumer<String> progress) {
        List<HeadId> chosen = c.allHeads().stream().filter(selected).toList();
        int vocab = c.model().config().vocabSize();
        long scanFlops = (long) (4.0 * vocab * vocab * c.dHead() * chosen.size());   // two circuits, 2·V²·d_head each
        boolean scan = top > 0 && (explicitSelection || scanFlops <= PAIR_SCAN_BUDGET_FLOPS);
        progress.accept("embedding products W_U·W_E and W_Eᵀ·W_E (vocab " + vocab + ")");
        List<Head> heads = new ArrayList<>();
        for (HeadId h : chosen) {
            if (h.head() == 0) progress.accept("head scores of layer " + h.layer() + " (eigenvalues of the full OV and QK circuits)");
            double ov = c.ovCopyingScore(h.layer(), h.head()), qk = c.qkMatchingScore(h.layer(), h.head());
            List<TokenPair> ovPairs = List.of(), qkPairs = List.of();
            if (scan) {
                progress.accept("token pairs of " + h + " (scanning two " + vocab + " × " + vocab + " circuits in row blocks)");
                ovPairs = TokenPair.top(c.fullOv(h.layer(), h.head()), top, tokenText);
                qkPairs = TokenPair.top(c.fullQk(h.layer(), h.head()), top, tokenText);
            }
            heads.add(new Head(h, ov, qk, ovPairs, qkPairs));
        }
        CompositionScores all = CompositionScores.compute(c, progress);
        List<CompositionScores.Pair> pairs = all.pairs().stream()
                .filter(p -> selected.test(p.from()) || selected.test(p.to())).toList();
        Map<Composition, CompositionBaseline> baselines = new EnumMap<>(Composition.class);
        for (Composition k : Composition.values()) {
            baselines.put(k, CompositionBaseline.of(k, c.dModel(), c.dHead(), CompositionBaseline.DEFAULT_DRAWS, BASELINE_SEED));
        }
        return new CircuitsReport(c, heads, pairs, baselines, scan, scanFlops);
    }

    /** Whether the model has at least two layers (composition needs a later layer). */
    boolean hasCompositions() {
        return circuits.layers() > 1;
    }
}
