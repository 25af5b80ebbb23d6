package dev.loupe.experiments.highway;

import dev.loupe.experiments.report.Report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The claims the depth experiment checks, each with the numbers of this run. Margins: a loss
 * difference counts when it exceeds 0.05 nats (well above the step-to-step noise of the validation
 * sample); "refine" compares means over the early blocks (1 to L/2 − 1) and the late ones (L/2 to L − 1).
 */
public final class HighwayDepthFindings {
    /** Loss differences below this (nats) count as equal. */
    public static final double MARGIN = 0.05;

    private HighwayDepthFindings() {}

    public static List<Report.Finding> of(HighwayDepth.Result x) {
        List<Report.Finding> out = new ArrayList<>();
        double post = x.arm("plain-post-ln").finalLoss(), pre = x.arm("plain-pre-ln").finalLoss();
        double hw = x.arm("highway").finalLoss(), gr = x.arm("gated-residual").finalLoss();
        int layers = x.settings().layers();
        out.add(new Report.Finding(String.format(Locale.ROOT, "the plain residual with post-LN struggles at depth %d: it ends "
                        + "above the pre-LN residual by more than %.2f nats", layers, MARGIN), post > pre + MARGIN,
                String.format(Locale.ROOT, "validation loss post-LN %.4f, pre-LN %.4f", post, pre)));
        out.add(new Report.Finding("highway connections train the deep narrow stack at least as well as the plain pre-LN residual",
                hw <= pre + MARGIN, String.format(Locale.ROOT, "validation loss highway %.4f, plain pre-LN %.4f", hw, pre)));
        out.add(new Report.Finding("the gated residual trains it at least as well as the plain pre-LN residual",
                gr <= pre + MARGIN, String.format(Locale.ROOT, "validation loss gated residual %.4f, plain pre-LN %.4f", gr, pre)));
        int half = layers / 2;                                   // ≥ 2: Settings requires 4 blocks
        for (String name : new String[] {"highway", "gated-residual", "plain-pre-ln"}) {
            DepthReading r = x.arm(name).reading();
            // block 0 is left out of the early half: it writes onto the embedding, whose norm is far smaller than any later
            // stream's, so its relative update is large in every arm and would decide the comparison alone
            double early = DepthReading.mean(r.relativeUpdate(), 1, half), late = DepthReading.mean(r.relativeUpdate(), half, layers);
            out.add(new Report.Finding(name + ": later blocks refine rather than overwrite (Greff et al. 2017): the mean relative "
                            + "update ‖Δx‖/‖x‖ of blocks " + half + "–" + (layers - 1) + " is below that of blocks 1–" + (half - 1), late < early,
                    String.format(Locale.ROOT, "blocks 1–%d %.4f, blocks %d–%d %.4f (block 0: %.2f)", half - 1, early, half, layers - 1,
                            late, r.relativeUpdate()[0])));
            double earlyLesion = DepthReading.mean(r.lesion(), 1, half), lateLesion = DepthReading.mean(r.lesion(), half, layers);
            out.add(new Report.Finding(name + ": removing one later block costs less than removing an early one (the lesion reading "
                            + "of unrolled iterative estimation)", lateLesion < earlyLesion,
                    String.format(Locale.ROOT, "mean loss increase: blocks 1–%d %+.4f, blocks %d–%d %+.4f (block 0: %+.4f)", half - 1,
                            earlyLesion, half, layers - 1, lateLesion, r.lesion()[0])));
            if (r.sublayers().isEmpty()) continue;
            double gateEarly = DepthReading.mean(r.meanGate(), 0, 2 * half), gateLate = DepthReading.mean(r.meanGate(), 2 * half, 2 * layers);
            out.add(new Report.Finding(name + ": the later blocks open their gates less (mean T over their sublayers below the earlier "
                            + "blocks')", gateLate < gateEarly,
                    String.format(Locale.ROOT, "mean gate blocks 0–%d %.4f, blocks %d–%d %.4f", half - 1, gateEarly, half, layers - 1, gateLate)));
        }
        return out;
    }
}
