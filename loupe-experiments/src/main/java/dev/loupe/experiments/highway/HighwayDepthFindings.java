package dev.loupe.experiments.highway;

import dev.loupe.experiments.report.Report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The claims the depth experiment checks, each with the numbers of this run. Margins: a loss
 * difference counts when it exceeds 0.05 nats (well above the step-to-step noise of the validation
 * sample); "refine" compares means over the first and the second half of the blocks.
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
        for (String name : new String[] {"highway", "gated-residual", "plain-pre-ln"}) {
            DepthReading r = x.arm(name).reading();
            double early = DepthReading.mean(r.relativeUpdate(), 0, layers / 2), late = DepthReading.mean(r.relativeUpdate(), layers / 2, layers);
            out.add(new Report.Finding(name + ": later blocks refine rather than overwrite (Greff et al. 2017): the mean relative "
                            + "update ‖Δx‖/‖x‖ of the second half of the blocks is below the first half's", late < early,
                    String.format(Locale.ROOT, "first half %.4f, second half %.4f", early, late)));
            double first = r.lesion()[0], lateLesion = DepthReading.mean(r.lesion(), layers / 2, layers);
            out.add(new Report.Finding(name + ": removing one later block costs less than removing the first block (the lesion "
                            + "reading of unrolled iterative estimation)", lateLesion < first,
                    String.format(Locale.ROOT, "loss increase: block 0 %+.4f, later blocks %+.4f on average", first, lateLesion)));
        }
        return out;
    }
}
