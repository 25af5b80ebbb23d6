package dev.loupe.experiments.highway;

import dev.loupe.analysis.decomposition.HighwayPaths;
import dev.loupe.model.ActivationCache;
import dev.loupe.model.Gpt;
import dev.loupe.model.Hook;
import dev.loupe.model.HookPoints;
import dev.loupe.tensor.Tensor;

import java.util.Arrays;
import java.util.List;

/**
 * What each block of a trained stack does to the residual stream, measured on probe windows — the
 * readings of Greff, Srivastava and Schmidhuber (2017), "Highway and Residual Networks learn
 * Unrolled Iterative Estimation":
 * <ul>
 *   <li>relative update ‖x_{l+1} − x_l‖ / ‖x_l‖ per block (mean over positions): small when a block refines;</li>
 *   <li>cos(x_l, x_{l+1}): close to 1 when the representation is kept;</li>
 *   <li>lesion cost: the loss with block l replaced by the identity, minus the intact loss;</li>
 *   <li>for highway-gated models, per sublayer (attention, MLP of each block; {@link HighwayPaths}):
 *       the mean gate T, the local transform share ⟨T⊙F, y⟩/‖y‖² and the share of the final stream
 *       that arrived through that sublayer, averaged over positions and windows.</li>
 * </ul>
 *
 * @param baseLoss       mean next-token loss of the intact model on the probe
 * @param relativeUpdate [n_layer]
 * @param cosine         [n_layer]
 * @param lesion         [n_layer] loss increase with the block removed
 * @param sublayers      labels of the gated model's sublayers ("L0 attn", …); empty without gates
 * @param meanGate       [sublayers]
 * @param transformShare [sublayers]
 * @param finalShare     [sublayers]
 * @param embedShare     share of the final stream carried from the embedding (NaN without gates)
 */
public record DepthReading(double baseLoss, double[] relativeUpdate, double[] cosine, double[] lesion, List<String> sublayers,
                           double[] meanGate, double[] transformShare, double[] finalShare, double embedShare) {

    /** Reads {@code gpt} on the windows of seqLen + 1 tokens that {@code probe} holds (at least one). */
    public static DepthReading of(Gpt gpt, int[] probe, int seqLen) {
        int windows = probe.length / (seqLen + 1), layers = gpt.config().nLayer(), d = gpt.config().dModel();
        if (windows < 1) throw new IllegalArgumentException("the probe holds no window of " + (seqLen + 1) + " tokens");
        int[] in = new int[windows * seqLen], target = new int[windows * seqLen];
        for (int w = 0; w < windows; w++) {
            System.arraycopy(probe, w * (seqLen + 1), in, w * seqLen, seqLen);
            System.arraycopy(probe, w * (seqLen + 1) + 1, target, w * seqLen, seqLen);
        }
        double base = gpt.loss(in, target, windows, seqLen);

        ActivationCache cache = gpt.runWithCache(in, windows, seqLen, n -> n.endsWith("hook_resid_pre") || n.endsWith("hook_resid_post")).cache();
        double[] update = new double[layers], cos = new double[layers], lesion = new double[layers];
        for (int l = 0; l < layers; l++) {
            Tensor x = cache.get(HookPoints.name(l, "hook_resid_pre")).reshape(windows * seqLen, d);
            Tensor y = cache.get(HookPoints.name(l, "hook_resid_post")).reshape(windows * seqLen, d);
            for (int r = 0; r < windows * seqLen; r++) {
                double xx = 0, yy = 0, xy = 0, dd = 0;
                for (int j = 0; j < d; j++) {
                    double a = x.get(r, j), b = y.get(r, j);
                    xx += a * a;
                    yy += b * b;
                    xy += a * b;
                    dd += (b - a) * (b - a);
                }
                update[l] += Math.sqrt(dd / Math.max(xx, 1e-30));
                cos[l] += xy / Math.sqrt(Math.max(xx * yy, 1e-30));
            }
            update[l] /= windows * seqLen;
            cos[l] /= windows * seqLen;
            lesion[l] = lesioned(gpt, l, in, target, windows, seqLen) - base;
        }

        if (gpt.config().highway() == null) {
            return new DepthReading(base, update, cos, lesion, List.of(), new double[0], new double[0], new double[0], Double.NaN);
        }
        HighwayPaths first = null;
        double[] gate = null, transform = null, fin = null;
        double embed = 0;
        for (int w = 0; w < windows; w++) {
            HighwayPaths p = HighwayPaths.compute(gpt, Arrays.copyOfRange(in, w * seqLen, (w + 1) * seqLen));
            if (first == null) {
                first = p;
                int n = p.sublayers().size();
                gate = new double[n];
                transform = new double[n];
                fin = new double[n];
            }
            for (int s = 0; s < gate.length; s++) {
                gate[s] += mean(p.meanGate()[s]) / windows;
                transform[s] += mean(p.transformShare()[s]) / windows;
                fin[s] += mean(p.finalShare()[s]) / windows;
            }
            embed += mean(p.embedFinalShare()) / windows;
        }
        List<String> labels = first.sublayers().stream().map(HighwayPaths.Sublayer::label).toList();
        return new DepthReading(base, update, cos, lesion, labels, gate, transform, fin, embed);
    }

    /** The loss with block {@code layer} replaced by the identity: its output is the stream it read. */
    static double lesioned(Gpt gpt, int layer, int[] in, int[] target, int batch, int seqLen) {
        Tensor[] read = new Tensor[1];
        try (var a = gpt.hooks().add(HookPoints.name(layer, "hook_resid_pre"), Hook.reader((x, n) -> read[0] = x.copy()));
             var b = gpt.hooks().add(HookPoints.name(layer, "hook_resid_post"), (x, n) -> read[0])) {
            return gpt.loss(in, target, batch, seqLen);
        }
    }

    private static double mean(double[] v) {
        double s = 0;
        for (double x : v) s += x;
        return s / v.length;
    }

    /** Mean of v over blocks [from, to). */
    public static double mean(double[] v, int from, int to) {
        double s = 0;
        for (int i = from; i < to; i++) s += v[i];
        return s / (to - from);
    }
}
