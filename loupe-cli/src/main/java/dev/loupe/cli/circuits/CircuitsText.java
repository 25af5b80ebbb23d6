package dev.loupe.cli.circuits;

import dev.loupe.analysis.circuits.Composition;
import dev.loupe.analysis.circuits.CompositionBaseline;
import dev.loupe.analysis.circuits.CompositionScores;
import dev.loupe.analysis.circuits.HeadId;
import dev.loupe.analysis.circuits.TokenPair;
import dev.loupe.model.GptConfig;
import dev.loupe.tokens.TokenDisplay;

import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.function.IntPredicate;

/** The report for people: head scores, token pairs, composition tables against the baseline, the strongest pairs. */
final class CircuitsText {
    /** A composition score is flagged when it lies this many baseline standard deviations above the baseline mean. */
    static final double FLAG_Z = 3;

    private CircuitsText() {}

    static String render(CircuitsReport r, String modelName, IntPredicate layerShown, int top, boolean folded) {
        StringBuilder sb = new StringBuilder();
        GptConfig cfg = r.circuits().model().config();
        line(sb, "circuits of %s: %d layers × %d heads, d_model %d, d_head %d, vocab %d (%s)",
                modelName, cfg.nLayer(), cfg.nHead(), cfg.dModel(), r.circuits().dHead(), cfg.vocabSize(),
                folded ? "LayerNorm gains and shifts folded into the reading weights" : "raw weights: LayerNorm not folded");
        if (cfg.attention().softmaxCaveat() != null) line(sb, "note: %s.", cfg.attention().softmaxCaveat());
        heads(sb, r);
        pairs(sb, r);
        if (r.hasCompositions()) compositions(sb, r, layerShown, top);
        else line(sb, "%nComposition: none (a 1-layer model has no later layer to compose with).");
        return sb.toString();
    }

    /** The bigram table, skip-trigrams and path expansion, when the report has them. */
    static String readings(CircuitsReadings x, java.util.function.IntFunction<String> text) {
        StringBuilder sb = new StringBuilder();
        if (!x.bigrams().isEmpty()) {
            line(sb, "%nBigram table (0 layers: the model is W_E·W_U; strongest token → next-token logits):");
            for (dev.loupe.analysis.circuits.FactoredMatrix.Entry e : x.bigrams()) {
                line(sb, "  %s → %s  %.3g", token(e.row(), name(text, e.row())), token(e.column(), name(text, e.column())), e.value());
            }
        }
        if (!x.skipTrigrams().isEmpty()) {
            line(sb, "%nSkip-trigrams [source] … [destination] → [out] (1 layer; QK: destination attends to source, OV: logit raised):");
            for (dev.loupe.analysis.circuits.SkipTrigrams.SkipTrigram s : x.skipTrigrams()) {
                line(sb, "  %-6s %s … %s → %s   QK %.3g  OV %.3g", s.head(), token(s.source(), name(text, s.source())),
                        token(s.destination(), name(text, s.destination())), token(s.out(), name(text, s.out())), s.qk(), s.ov());
            }
        }
        if (x.paths() != null) {
            CircuitsReadings.Paths p = x.paths();
            line(sb, "%nPath expansion of the logits on the prompt (%d tokens; attention patterns and LayerNorm scales frozen from the run):",
                    p.ids().length);
            line(sb, "  the %d terms + ln_final's β·W_U sum to the model's logits to %.2g (largest logit %.3g)",
                    p.terms().size(), p.maxSumError(), p.maxLogit());
            line(sb, "  %-28s %-13s %s", "path", "kind", "‖logits‖_F");
            for (CircuitsReadings.Term t : p.terms()) line(sb, "  %-28s %-13s %.4g", t.label(), t.kind(), t.norm());
            line(sb, "  %-28s %-13s %.4g", "ln_final bias", "BIAS", p.finalBiasNorm());
        }
        return sb.toString();
    }

    private static String name(java.util.function.IntFunction<String> text, int id) {
        return text == null ? null : text.apply(id);
    }

    private static void heads(StringBuilder sb, CircuitsReport r) {
        line(sb, "%nHead scores. copying: Σλ/Σ|λ| of the full OV circuit W_E·W_OV·W_U (+1: attending to a token raises its");
        line(sb, "logit, −1: lowers it); matching: the same of the full QK circuit W_E·W_QK·W_Eᵀ (+1: tokens attend to themselves).");
        line(sb, "  head      copying  matching");
        for (CircuitsReport.Head h : r.heads()) {
            line(sb, "  %-8s %8s  %8s", h.id(), score(h.ovCopying()), score(h.qkMatching()));
        }
    }

    private static void pairs(StringBuilder sb, CircuitsReport r) {
        if (!r.pairsScanned()) {
            if (!r.heads().isEmpty()) {
                line(sb, "%nToken pairs not shown: scanning these heads' vocab × vocab circuits costs about %.1e flops; "
                        + "pass --layer L --head H for one head's.", (double) r.pairScanFlops());
            }
            return;
        }
        line(sb, "%nTop token pairs: the largest entries of each full circuit.");
        for (CircuitsReport.Head h : r.heads()) {
            line(sb, "  %-6s OV  source → raised logit:   %s", h.id(), pairList(h.ovPairs(), " → "));
            line(sb, "  %-6s QK  destination ← source:    %s", "", pairList(h.qkPairs(), " ← "));
        }
    }

    private static String pairList(List<TokenPair> pairs, String arrow) {
        StringBuilder sb = new StringBuilder();
        for (TokenPair p : pairs) {
            if (!sb.isEmpty()) sb.append(",  ");
            sb.append(token(p.rowToken(), p.rowText())).append(arrow).append(token(p.columnToken(), p.columnText()))
                    .append(String.format(Locale.ROOT, " %.3g", p.value()));
        }
        return sb.toString();
    }

    private static String token(int id, String text) {
        return text == null ? "#" + id : "'" + TokenDisplay.visible(text) + "'";
    }

    private static void compositions(StringBuilder sb, CircuitsReport r, IntPredicate layerShown, int top) {
        line(sb, "%nComposition scores ‖L·R‖_F / (‖L‖_F·‖R‖_F), writer h1 → reader h2 of a later layer (L = W_OV^h1):");
        line(sb, "  Q: R = W_QK^h2,  K: R = (W_QK^h2)ᵀ,  V: R = W_OV^h2   (W_QK = W_Q·W_Kᵀ, W_OV = W_V·W_O, d_model × d_model)");
        StringBuilder base = new StringBuilder();
        for (Composition k : Composition.values()) {
            CompositionBaseline b = r.baselines().get(k);
            base.append(String.format(Locale.ROOT, "%s %.4f ± %.4f   ", k, b.mean(), b.std()));
        }
        line(sb, "Baseline (random Gaussian factors of the same shapes, %d draws): %s", r.baselines().get(Composition.Q).draws(),
                base.toString().strip());
        line(sb, "* marks a score more than %.0f baseline standard deviations above the baseline mean.", FLAG_Z);
        int layers = r.circuits().layers(), heads = r.circuits().heads();
        double[][][][] table = tables(r);
        for (int l1 = 0; l1 < layers; l1++) {
            for (int l2 = l1 + 1; l2 < layers; l2++) {
                if (!layerShown.test(l1) && !layerShown.test(l2)) continue;
                for (Composition k : Composition.values()) {
                    line(sb, "%n%s-composition L%d → L%d (rows: heads of L%d, columns: heads of L%d)", k, l1, l2, l1, l2);
                    StringBuilder head = new StringBuilder("      ");
                    for (int h2 = 0; h2 < heads; h2++) head.append(String.format(Locale.ROOT, " %7s", "H" + h2));
                    line(sb, "%s", head);
                    for (int h1 = 0; h1 < heads; h1++) {
                        StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "  %-4s", "H" + h1));
                        for (int h2 = 0; h2 < heads; h2++) {
                            double v = table[k.ordinal()][l1][l2] == null ? Double.NaN : table[k.ordinal()][l1][l2][h1 * heads + h2];
                            boolean flag = r.baselines().get(k).zScore(v) > FLAG_Z;
                            row.append(String.format(Locale.ROOT, " %6s%s", Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.3f", v), flag ? "*" : " "));
                        }
                        line(sb, "%s", row.toString().stripTrailing());
                    }
                }
            }
        }
        if (top > 0) {
            line(sb, "%nStrongest compositions (z: baseline standard deviations above the baseline mean):");
            for (Composition k : Composition.values()) {
                CompositionBaseline b = r.baselines().get(k);
                r.compositions().stream().sorted(Comparator.comparingDouble((CompositionScores.Pair p) -> -p.get(k)))
                        .limit(top).forEach(p -> line(sb, "  %s  %-6s → %-6s %.4f   z %6.1f", k, p.from(), p.to(), p.get(k), b.zScore(p.get(k))));
            }
        }
    }

    /** [kind][l1][l2] → flat [h1·heads + h2] scores of the pairs in the report (null where none). */
    private static double[][][][] tables(CircuitsReport r) {
        int layers = r.circuits().layers(), heads = r.circuits().heads();
        double[][][][] t = new double[Composition.values().length][layers][layers][];
        for (CompositionScores.Pair p : r.compositions()) {
            HeadId a = p.from(), b = p.to();
            for (Composition k : Composition.values()) {
                double[] cell = t[k.ordinal()][a.layer()][b.layer()];
                if (cell == null) {
                    cell = new double[heads * heads];
                    java.util.Arrays.fill(cell, Double.NaN);
                    t[k.ordinal()][a.layer()][b.layer()] = cell;
                }
                cell[a.head() * heads + b.head()] = p.get(k);
            }
        }
        return t;
    }

    private static String score(double v) {
        return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%+.4f", v);
    }

    private static void line(StringBuilder sb, String format, Object... args) {
        sb.append(String.format(Locale.ROOT, format, args)).append('\n');
    }
}
