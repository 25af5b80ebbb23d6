package dev.loupe.cli.circuits;

import dev.loupe.analysis.circuits.BigramTable;
import dev.loupe.analysis.circuits.FactoredMatrix;
import dev.loupe.analysis.circuits.HeadCircuits;
import dev.loupe.analysis.circuits.HeadId;
import dev.loupe.analysis.circuits.PathExpansion;
import dev.loupe.analysis.circuits.SkipTrigrams;
import dev.loupe.model.Gpt;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Predicate;

/**
 * The small-model readings {@code loupe circuits} adds to the head scores: the bigram table of a
 * 0-layer model, the skip-trigrams of a 1-layer model, and the path-expansion term sizes of an
 * attention-only model on a prompt. Each is null / empty when it does not apply.
 */
record CircuitsReadings(List<FactoredMatrix.Entry> bigrams, List<SkipTrigrams.SkipTrigram> skipTrigrams,
                        Paths paths) {

    /** Path expansion on the prompt: the token ids, every term's label, kind and logit norm, ln_final's β·W_U norm, and the check. */
    record Paths(int[] ids, List<Term> terms, double finalBiasNorm, double maxSumError, double maxLogit) {}

    record Term(String label, PathExpansion.Kind kind, double norm) {}

    /**
     * @param scan  whether the vocab × vocab scans are affordable (the report's token-pair budget)
     * @param ids   the prompt's tokens, or null for no path expansion
     */
    static CircuitsReadings compute(HeadCircuits c, Predicate<HeadId> selected, boolean scan, int top, int[] ids) {
        Gpt gpt = c.model();
        List<FactoredMatrix.Entry> bigrams = List.of();
        List<SkipTrigrams.SkipTrigram> trigrams = new ArrayList<>();
        if (top > 0 && scan && c.layers() == 0) bigrams = new BigramTable(gpt).strongest(top);
        if (top > 0 && scan && c.layers() == 1) {
            for (HeadId h : c.allHeads()) if (selected.test(h)) trigrams.addAll(SkipTrigrams.of(c, h.layer(), h.head(), top));
        }
        Paths paths = null;
        if (ids != null) {
            PathExpansion p = PathExpansion.compute(gpt, ids);
            double[] norms = p.logitNorms();
            List<Term> terms = new ArrayList<>();
            for (int k = 0; k < norms.length; k++) {
                PathExpansion.Term t = p.terms().get(k);
                terms.add(new Term(t.label(), t.kind(), norms[k]));
            }
            terms.sort(Comparator.comparingDouble((Term t) -> -t.norm()));
            float max = 0;
            for (float f : p.modelLogits().contiguousData()) max = Math.max(max, Math.abs(f));
            paths = new Paths(ids, terms, p.finalBiasNorm(), p.sumOfLogits().maxAbsDiff(p.modelLogits()), max);
        }
        return new CircuitsReadings(bigrams, trigrams, paths);
    }
}
