package dev.loupe.spark;

import dev.loupe.analysis.stats.ActivationStats;
import dev.loupe.analysis.stats.Binning;
import dev.loupe.analysis.stats.TopExample;
import dev.loupe.analysis.stats.UnitStats;
import dev.loupe.tensor.io.AtomicFiles;
import dev.loupe.tokens.TokenDisplay;
import dev.loupe.tokens.Tokenizer;

import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/**
 * {@code report.html} of an activation-stats run: one self-contained page with, for the units of
 * largest max activation, their numbers, histogram (bars) and top contexts, each token shaded by
 * the unit's activation there (the top position outlined). Tokens are shown as text when the model
 * has a tokenizer, as ids otherwise.
 */
final class StatsReport {
    /** Units shown (the rest are in units.parquet / units.json). */
    static final int UNITS = 50;

    private StatsReport() {}

    static void write(Path file, ActivationStats stats, String hook, Binning binning, Tokenizer tokenizer) {
        StringBuilder h = new StringBuilder("<!doctype html><html><head><meta charset=\"utf-8\"><title>")
                .append(esc(hook)).append(" — activation statistics</title><style>")
                .append("body{font:14px system-ui,sans-serif;margin:2em;max-width:70em}")
                .append(".unit{border-top:1px solid #ccc;padding:.6em 0}.ctx{font-family:monospace;white-space:pre-wrap;margin:.2em 0}")
                .append(".t{padding:0 1px}.top{outline:2px solid #c00}.bars{display:flex;align-items:flex-end;height:40px;gap:1px}")
                .append(".bars div{background:#4a7;width:8px}</style></head><body>")
                .append("<h1>").append(esc(hook)).append("</h1><p>").append(stats.units()).append(" units over ")
                .append(stats.windows()).append(" windows; the ").append(Math.min(UNITS, stats.units()))
                .append(" units with the largest max activation. Histogram over [").append(binning.lo()).append(", ")
                .append(binning.hi()).append(") in ").append(binning.bins())
                .append(" bins, with the underflow and overflow bins at the ends.</p>");
        List<Integer> order = IntStream.range(0, stats.units()).boxed()
                .sorted(Comparator.comparingDouble((Integer u) -> stats.unit(u).max()).reversed().thenComparing(u -> u))
                .limit(UNITS).toList();
        for (int u : order) unit(h, u, stats.unit(u), tokenizer);
        h.append("</body></html>\n");
        AtomicFiles.writeString(file, h.toString());
    }

    private static void unit(StringBuilder h, int u, UnitStats s, Tokenizer tokenizer) {
        h.append("<div class=\"unit\" id=\"unit-").append(u).append("\"><b>unit ").append(u).append("</b> ")
                .append(String.format("max %.4f · mean %.4f · variance %.4f · frequency %.3f", s.max(), s.mean(), s.variance(),
                        s.frequency()))
                .append("<div class=\"bars\" title=\"histogram\">");
        long[] hist = s.histogram();
        long most = java.util.Arrays.stream(hist).max().orElse(1);
        for (long c : hist) h.append("<div style=\"height:").append(most == 0 ? 0 : 40 * c / most).append("px\" title=\"").append(c).append("\"></div>");
        h.append("</div>");
        for (TopExample e : s.top()) {
            h.append("<div class=\"ctx\">").append(e.position()).append(String.format(" (%.4f): ", e.value()));
            for (int i = 0; i < e.tokens().length; i++) {
                double a = s.max() > 0 ? Math.max(0, e.values()[i] / s.max()) : 0;
                String text = tokenizer == null ? "[" + e.tokens()[i] + "]" : TokenDisplay.visible(tokenizer.tokenText(e.tokens()[i]));
                h.append("<span class=\"t").append(e.contextStart() + i == e.position() ? " top" : "")
                        .append(String.format("\" style=\"background:rgba(255,120,0,%.2f)\" title=\"%.4f\">", a, e.values()[i]))
                        .append(esc(text)).append("</span>");
            }
            h.append("</div>");
        }
        h.append("</div>");
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
