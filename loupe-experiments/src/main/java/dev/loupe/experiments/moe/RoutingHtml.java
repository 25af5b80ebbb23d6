package dev.loupe.experiments.moe;

import dev.loupe.analysis.moe.CoActivation;
import dev.loupe.analysis.moe.LayerDiagnostics;
import dev.loupe.analysis.moe.RoutingDiagnostics;
import dev.loupe.analysis.stats.TopExample;
import dev.loupe.experiments.report.Heatmap;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.IntFunction;

/**
 * The routing diagnostics as one self-contained HTML page (no scripts, no network): per MoE layer a
 * summary line, per-expert load bars, R over the prompt (experts × tokens), RᵀR and its cosine form as
 * heatmaps and a table of each expert's top tokens; then the co-activation of consecutive MoE layers.
 */
public final class RoutingHtml {
    private static final String STYLE = "<style>body{font:14px sans-serif;margin:2em;max-width:110em}table{border-collapse:collapse;margin:1em 0}"
            + "td,th{border:1px solid #ccc;padding:3px 6px;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}"
            + ".bar{background:#b2182b;height:10px;display:inline-block}.maps>div{display:inline-block;vertical-align:top;margin-right:1em}"
            + "code{background:#f4f4f4}</style>";

    private RoutingHtml() {}

    /** The page {@code loupe moe} writes: {@code intro} says what ran (model, text or corpus). */
    public static String page(String title, String intro, RoutingDiagnostics d, IntFunction<String> tokenText) {
        StringBuilder s = head(title, intro);
        s.append("<p>R [tokens, E] holds each token's kept, renormalised routing weights (0 for experts not kept); the mixture's "
                + "output is Σ_e diag(R[:,e])·Expert_e(X). In RᵀR the diagonal is each expert's load (Σ_t R[t,e]²) and the "
                + "off-diagonal the co-routing of two experts (0 with top-1 routing); the cosine form D^{-1/2}·RᵀR·D^{-1/2} "
                + "scales out the load.</p>\n");
        List<String> prompt = new ArrayList<>();
        for (int id : d.promptIds()) prompt.add(shorten(tokenText.apply(id)));
        for (int i = 0; i < d.layers().size(); i++) {
            LayerDiagnostics l = d.layers().get(i);
            s.append("<h2>Layer ").append(l.layer()).append("</h2>\n");
            summary(s, l);
            s.append("<div class=\"maps\"><div>").append(new Heatmap("R over the prompt (expert × token)", experts(l.experts()), prompt,
                    transpose(d.promptRouting().get(i).matrix())).svg()).append("</div></div>\n");
            gramMaps(s, l, "");
            topTokens(s, l, tokenText);
        }
        if (!d.coActivations().isEmpty()) {
            s.append("<h2>Expert co-activation across layers</h2>\n<p>P(expert j at the later layer | expert i at the earlier) "
                    + "over every token; mutual information of the two choices in bits (0: independent).</p><div class=\"maps\">");
            for (CoActivation c : d.coActivations()) {
                s.append("<div>").append(new Heatmap(String.format(Locale.ROOT, "L%d → L%d: I = %.3f bits", c.from(), c.to(),
                        c.mutualInformationBits()), experts(c.conditional().length), experts(c.conditional()[0].length), c.conditional()).svg())
                        .append("</div>");
            }
            s.append("</div>\n");
        }
        return s.append("</body></html>\n").toString();
    }

    /** The start of a page: doctype, style, heading and an intro paragraph (escaped). */
    public static StringBuilder head(String title, String intro) {
        return new StringBuilder("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").append(Heatmap.esc(title))
                .append("</title>").append(STYLE).append("</head><body>\n<h1>").append(Heatmap.esc(title)).append("</h1>\n<p>")
                .append(Heatmap.esc(intro)).append("</p>\n");
    }

    /** One line of figures and the per-expert load bars. */
    public static void summary(StringBuilder s, LayerDiagnostics l) {
        s.append(String.format(Locale.ROOT, "<p>%,d tokens; router entropy %.3f nats (uniform: ln %d = %.3f); load CV %.3f; "
                        + "balance E·Σf·P %.3f (1 = balanced); dead experts: %s.</p>%n", l.tokens(), l.entropy(), l.experts(),
                Math.log(l.experts()), l.loadCv(), l.balance(), l.deadExperts().isEmpty() ? "none" : l.deadExperts().toString()));
        long[] counts = l.counts();
        long max = 1;
        for (long c : counts) max = Math.max(max, c);
        long total = java.util.Arrays.stream(counts).sum();
        s.append("<table><tr><th>expert</th><th>slots</th><th>share</th><th></th></tr>");
        for (int e = 0; e < counts.length; e++) {
            s.append(String.format(Locale.ROOT, "<tr><th>E%d</th><td class=\"n\">%,d</td><td class=\"n\">%.1f%%</td><td><span class=\"bar\" "
                    + "style=\"width:%dpx\"></span></td></tr>", e, counts[e], total == 0 ? 0 : 100.0 * counts[e] / total, Math.round(300.0 * counts[e] / max)));
        }
        s.append("</table>\n");
    }

    /** RᵀR and its cosine form side by side; {@code caption} is put in front of their titles (e.g. "with aux loss: "). */
    public static void gramMaps(StringBuilder s, LayerDiagnostics l, String caption) {
        List<String> ex = experts(l.experts());
        s.append("<div class=\"maps\"><div>").append(new Heatmap(caption + "RᵀR (layer " + l.layer() + ")", ex, ex, l.gram()).svg())
                .append("</div><div>").append(new Heatmap(caption + "cosine D^-½·RᵀR·D^-½", ex, ex, l.cosine()).svg()).append("</div></div>\n");
    }

    private static void topTokens(StringBuilder s, LayerDiagnostics l, IntFunction<String> tokenText) {
        s.append("<table><tr><th>expert</th><th>top tokens by routing weight (context … <b>token</b> weight)</th></tr>");
        for (int e = 0; e < l.experts(); e++) {
            s.append("<tr><th>E").append(e).append("</th><td>");
            List<TopExample> top = l.topTokens(e);
            if (top.isEmpty()) s.append("<i>no token routed here</i>");
            for (TopExample x : top) {
                int n = x.tokens().length;
                StringBuilder ctx = new StringBuilder();
                for (int i = 0; i < n - 1; i++) ctx.append(tokenText.apply(x.tokens()[i]));
                s.append(String.format(Locale.ROOT, "<code>%s<b>%s</b></code> %.2f &nbsp; ", Heatmap.esc(visible(ctx.toString())),
                        Heatmap.esc(visible(tokenText.apply(x.tokens()[n - 1]))), x.value()));
            }
            s.append("</td></tr>");
        }
        s.append("</table>\n");
    }

    /** "E0", "E1", …. */
    public static List<String> experts(int n) {
        List<String> l = new ArrayList<>();
        for (int e = 0; e < n; e++) l.add("E" + e);
        return l;
    }

    private static double[][] transpose(double[][] m) {
        int rows = m.length, cols = rows == 0 ? 0 : m[0].length;
        double[][] t = new double[cols][rows];
        for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) t[j][i] = m[i][j];
        return t;
    }

    private static String visible(String t) {
        return t.replace("\n", "\\n").replace("\t", "\\t");
    }

    private static String shorten(String t) {
        String v = visible(t).replace(" ", "·");
        return v.length() > 10 ? v.substring(0, 9) + "…" : v;
    }
}
