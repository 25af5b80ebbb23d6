package dev.loupe.experiments.grokking;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Locale;

/** The HTML page of a grokking run: what was run, what was found, every picture (files beside the page). */
final class GrokkingHtml {
    private GrokkingHtml() {}

    static String page(GrokkingResult r, ObjectNode json) {
        GrokkingSettings s = r.settings();
        ProgressMeasures last = r.last();
        StringBuilder h = new StringBuilder();
        h.append("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Grokking on modular addition</title>\n")
                .append("<style>body{font-family:sans-serif;max-width:1060px;margin:2em auto;line-height:1.45}img{max-width:100%;")
                .append("border:1px solid #ddd;margin:.5em 0}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px}")
                .append("code{background:#f4f4f4}</style></head><body>\n");
        h.append("<h1>Grokking on modular addition</h1>\n");
        h.append(p("Power et al. (2021) found that small transformers trained on algorithmic data first memorise the training set and "
                + "then, long after, suddenly generalise (\"grokking\"). Nanda et al. (2023, \"Progress measures for grokking via "
                + "mechanistic interpretability\") reverse-engineered the algorithm a one-layer transformer learns for a + b mod p: "
                + "embed a and b as rotations at a few key frequencies w_k = 2πk/p, combine them with trigonometric identities in "
                + "attention and the MLP, and read off cos(w_k(a + b − c)) at the logits. Their progress measures split training "
                + "into three phases: memorisation, circuit formation and clean-up."));
        h.append(p(String.format(Locale.ROOT, "This run: p = %d, inputs \"a b =\" (vocabulary %d), 1 layer, d_model %d, %d heads, "
                        + "ReLU MLP of %d, no LayerNorm, learned positions, untied unembedding, no attention biases; full-batch AdamW "
                        + "(lr %s, weight decay %s, β = (%s, %s), %d warm-up steps) on %.0f%% of the %d pairs (%d train, %d test), loss on "
                        + "the answer position only, %d steps, seed %d; measures every %d steps.",
                s.p(), s.p() + 1, s.dModel(), s.heads(), s.dMlp(), s.lr(), s.weightDecay(), s.beta1(), s.beta2(), s.warmup(),
                100 * s.trainFraction(), s.p() * s.p(), r.data().train().length, r.data().test().length, s.steps(), s.seed(),
                s.checkpointEvery())));
        h.append("<h2>Findings</h2>\n<ul>\n");
        h.append(li(String.format(Locale.ROOT, "Final train accuracy %.4f, test accuracy %.4f (train loss %.3g, test loss %.3g).",
                last.trainAccuracy(), last.testAccuracy(), last.trainLoss(), last.testLoss())));
        h.append(li("Memorisation (train accuracy ≥ 0.99) at step " + stepText(r.memorisationStep()) + "; the test loss cliff (test "
                + "accuracy ≥ 0.5) at step " + stepText(r.cleanupStartStep()) + "; grokked (test accuracy ≥ 0.99) at step "
                + stepText(r.grokkingStep()) + "."));
        h.append(li("Key frequencies: " + GrokkingReport.keyList(r) + " (" + r.keys().neuronsInKeyFrequencies() + " of " + s.dMlp()
                + " MLP neurons belong to one of them)."));
        h.append(li(String.format(Locale.ROOT, "Gini of the Fourier norms: W_E %.3f → %.3f, W_L %.3f → %.3f; Σ w² %.4g → %.4g.",
                r.checkpoints().getFirst().giniEmbedding(), last.giniEmbedding(), r.checkpoints().getFirst().giniNeuronLogit(),
                last.giniNeuronLogit(), r.checkpoints().getFirst().sumSquaredWeights(), last.sumSquaredWeights())));
        h.append(li(String.format(Locale.ROOT, "Training took %.0f s (%.1f steps/s), the measures %.0f s.", r.trainSeconds(),
                r.stepsPerSecond(), r.analysisSeconds())));
        h.append("</ul>\n");
        h.append(p("Phases as marked on the curves: memorisation ends at the first checkpoint with train accuracy ≥ 0.99; circuit "
                + "formation runs from there until the test loss cliff (first checkpoint with test accuracy ≥ 0.5), where clean-up "
                + "begins; the last line marks test accuracy ≥ 0.99."));
        h.append(p("<b>Restricted loss</b>: the loss over all p² pairs of the logits with only the key frequencies kept (for each output "
                + "c, the mean over (a, b) plus the projection onto cos(w_k(a+b)) and sin(w_k(a+b)), k key). <b>Excluded loss</b>: the "
                + "training loss of the logits with those projections removed. Restricted loss falls before the test loss; excluded "
                + "loss rises as memorisation is replaced by the circuit."));
        for (String pic : GrokkingReport.PICTURES) h.append("<img src=\"").append(pic).append("\" alt=\"").append(pic).append("\">\n");
        h.append("<h2>Files</h2>\n");
        h.append(p("<code>report.json</code> holds every number above and the measures of every checkpoint; <code>"
                + GrokkingReport.MODEL_DIR + "/</code> is the trained model, a normal Loupe model directory (try <code>loupe circuits "
                + "--model " + GrokkingReport.MODEL_DIR + "</code> or <code>loupe logits --model " + GrokkingReport.MODEL_DIR
                + " --ids 5,7," + s.p() + " --top 3</code>). Its character tokenizer writes number i as the character U+0100 + i and \"=\" as ＝."));
        h.append("</body></html>\n");
        return h.toString();
    }

    private static String stepText(int step) {
        return step < 0 ? "— (not reached)" : Integer.toString(step);
    }

    private static String p(String html) {
        return "<p>" + html + "</p>\n";
    }

    private static String li(String html) {
        return "<li>" + html + "</li>\n";
    }
}
