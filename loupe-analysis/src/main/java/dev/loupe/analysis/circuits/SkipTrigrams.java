package dev.loupe.analysis.circuits;

import java.util.ArrayList;
import java.util.List;

/**
 * Skip-trigrams of a 1-layer attention-only model ("A Mathematical Framework for Transformer
 * Circuits", §"Interpretation as Skip-Trigrams"): a head makes "[source] … [destination] → [out]"
 * likelier when the destination attends to the source (full QK circuit W_E W_QK W_Eᵀ, rows
 * destination, columns source) and attending to the source raises the logit of out (full OV circuit
 * W_E W_OV W_U, rows source, columns out). For a head, the k strongest source/destination pairs of the
 * QK circuit are taken (a bounded scan of the factored matrix, O(V²·d_head) work, nothing V × V kept)
 * and each is completed with the out token the source's OV row raises most.
 *
 * <p>Raw weights and the token embedding only: positional embedding, LayerNorm and the softmax's
 * competition between sources are left out, as in the paper's reading.
 */
public final class SkipTrigrams {
    private SkipTrigrams() {}

    /** One skip-trigram of a head: tokens, the QK score (destination attends to source) and the OV logit of out. */
    public record SkipTrigram(HeadId head, int source, int destination, int out, double qk, double ov) {}

    /** The k strongest skip-trigrams of one head, by QK score, largest first. */
    public static List<SkipTrigram> of(HeadCircuits circuits, int layer, int head, int k) {
        FactoredMatrix qk = circuits.fullQk(layer, head), ov = circuits.fullOv(layer, head);
        List<SkipTrigram> out = new ArrayList<>();
        for (FactoredMatrix.Entry e : qk.largestEntries(k)) {
            int destination = e.row(), source = e.column();
            FactoredMatrix.Entry best = ov.topInRow(source, 1).getFirst();
            out.add(new SkipTrigram(new HeadId(layer, head), source, destination, best.column(), e.value(), best.value()));
        }
        return out;
    }
}
