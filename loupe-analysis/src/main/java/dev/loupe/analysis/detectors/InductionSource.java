package dev.loupe.analysis.detectors;

import dev.loupe.analysis.interventions.Ablation;
import dev.loupe.analysis.interventions.Intervention;
import dev.loupe.model.ActivationCache;
import dev.loupe.model.Gpt;

/**
 * Which earlier head an induction head depends on: the induction score of head ({@code layer},
 * {@code head}) on repeated random tokens, once as is ({@code baseline}) and once with each head of
 * the earlier layers mean-ablated ({@code ablated[l][h]}; its output z replaced by its mean over the
 * probe). In the two-layer circuit of Elhage et al. (2021) the induction head's keys read the
 * output of a previous-token head (K-composition), so ablating that head, and no other, collapses
 * the induction score.
 */
public record InductionSource(int layer, int head, double baseline, double[][] ablated) {

    /** Measures on {@code batch} repeated sequences of 2·half tokens in [0, vocab) (seeded). */
    public static InductionSource measure(Gpt gpt, int layer, int head, int batch, int half, long seed) {
        return measure(gpt, layer, head, batch, half, seed, step -> {});
    }

    /** As above, reporting one line per ablated head to {@code progress} (one forward pass each). */
    public static InductionSource measure(Gpt gpt, int layer, int head, int batch, int half, long seed,
                                          java.util.function.Consumer<String> progress) {
        return measure(gpt, layer, head, new Probe(batch, half, 0, gpt.config().vocabSize(), seed), progress);
    }

    /** Measures on {@code probe} (so the baseline equals {@link HeadDetectors#on} on it), one progress line per ablated head. */
    public static InductionSource measure(Gpt gpt, int layer, int head, Probe probe, java.util.function.Consumer<String> progress) {
        int[] ids = probe.ids();
        int batch = probe.batch(), half = probe.half(), t = probe.seqLen(), heads = gpt.config().nHead();
        double baseline = HeadDetectors.score(gpt, ids, batch, t, half).induction()[layer][head];
        ActivationCache reference = gpt.runWithCache(ids, batch, t, ActivationCache.endingWith("attn.hook_z")).cache();
        double[][] ablated = new double[layer][heads];
        for (int l = 0; l < layer; l++) {
            for (int h = 0; h < heads; h++) {
                progress.accept(String.format(java.util.Locale.ROOT, "ablating head %s (%d of %d)", dev.loupe.analysis.circuits.HeadId.name(l, h), l * heads + h + 1, layer * heads));
                Intervention mean = Ablation.meanHead(l, h, reference);
                try (var attached = gpt.hooks().add(mean.hookName(), mean.hook())) {
                    ablated[l][h] = HeadDetectors.score(gpt, ids, batch, t, half).induction()[layer][head];
                }
            }
        }
        return new InductionSource(layer, head, baseline, ablated);
    }

    /**
     * The induction score of head ({@code layer}, {@code head}) with all the heads {@code ablated}
     * ([layer, head] pairs) mean-ablated at once: for circuits where several previous-token heads
     * carry the same information, so that ablating one alone leaves the others to do its job.
     */
    public static double withAblated(Gpt gpt, int layer, int head, java.util.List<int[]> ablated, int batch, int half, long seed) {
        return withAblated(gpt, layer, head, ablated, new Probe(batch, half, 0, gpt.config().vocabSize(), seed));
    }

    /** As above, on {@code probe}. */
    public static double withAblated(Gpt gpt, int layer, int head, java.util.List<int[]> ablated, Probe probe) {
        int[] ids = probe.ids();
        int batch = probe.batch(), half = probe.half(), t = probe.seqLen();
        ActivationCache reference = gpt.runWithCache(ids, batch, t, ActivationCache.endingWith("attn.hook_z")).cache();
        java.util.List<dev.loupe.model.Hooks.Handle> handles = new java.util.ArrayList<>();
        try {
            for (int[] lh : ablated) {
                Intervention mean = Ablation.meanHead(lh[0], lh[1], reference);
                handles.add(gpt.hooks().add(mean.hookName(), mean.hook()));
            }
            return HeadDetectors.score(gpt, ids, batch, t, half).induction()[layer][head];
        } finally {
            for (var h : handles) h.close();
        }
    }

    /** [layer, head] of the earlier head whose ablation lowers the induction score most. */
    public int[] strongest() {
        int[] best = {0, 0};
        for (int l = 0; l < ablated.length; l++) {
            for (int h = 0; h < ablated[l].length; h++) if (ablated[l][h] < ablated[best[0]][best[1]]) best = new int[] {l, h};
        }
        return best;
    }

    /** The induction score with {@link #strongest()} ablated. */
    public double strongestAblated() {
        int[] s = strongest();
        return ablated[s[0]][s[1]];
    }
}
