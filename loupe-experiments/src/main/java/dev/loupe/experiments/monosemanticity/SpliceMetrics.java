package dev.loupe.experiments.monosemanticity;

import dev.loupe.model.Gpt;
import dev.loupe.model.Hooks;
import dev.loupe.sae.SaeSplice;
import dev.loupe.sae.SparseAutoencoder;
import dev.loupe.sae.TokenWindows;
import dev.loupe.tensor.Tensor;

import java.util.Arrays;

/**
 * How well an SAE stands in for the activation it reads, over consecutive windows of held-out text
 * (the numbers SAELens reports, as {@code loupe sae eval} defines them):
 * <ul>
 *   <li>L0: mean number of active features per token;</li>
 *   <li>explained variance: 1 − Σ‖x − x̂‖² / Σ‖x − x̄‖², x̄ the mean activation over the tokens;</li>
 *   <li>CE loss score: (CE_ablation − CE_sae) / (CE_ablation − CE_clean), the mean next-token
 *       cross-entropy of the T − 1 predictions inside each window with the activation as is (clean),
 *       replaced by x̂ (sae), replaced by zeros (ablation);</li>
 *   <li>dead features: never active on these tokens.</li>
 * </ul>
 */
public record SpliceMetrics(double l0, double explainedVariance, double ceClean, double ceSae, double ceAblation, double ceLossScore,
                            int deadFeatures, float[] density) {

    /** Measures {@code sae} on {@code windows} of {@code gpt}. */
    public static SpliceMetrics measure(Gpt gpt, SparseAutoencoder sae, TokenWindows windows) {
        String hook = SaeSplice.checkedHook(gpt, sae);
        int dIn = sae.dIn(), dSae = sae.dSae();
        long[] active = new long[dSae];
        double[] sum = new double[dIn], sumSq = new double[1], err = new double[1];
        long[] n = new long[1];
        windows.forEachRows(gpt, hook, (x, at) -> {
            Tensor f = sae.encode(x), r = sae.decode(f);                                // [N, d_sae], [N, d_in]
            float[] fd = f.contiguousData(), xd = x.contiguousData(), rd = r.contiguousData();
            for (int t = 0; t < x.dim(0); t++) {
                for (int i = 0; i < dSae; i++) if (fd[t * dSae + i] > 0) active[i]++;
                for (int j = 0; j < dIn; j++) {
                    double v = xd[t * dIn + j], e = v - rd[t * dIn + j];
                    sum[j] += v;
                    sumSq[0] += v * v;
                    err[0] += e * e;
                }
            }
            n[0] += x.dim(0);
        });
        double centred = sumSq[0];
        for (double s : sum) centred -= s * s / n[0];                               // Σ‖x − x̄‖² = Σ‖x‖² − N‖x̄‖²
        long total = 0;
        int dead = 0;
        float[] density = new float[dSae];
        for (int i = 0; i < dSae; i++) {
            total += active[i];
            if (active[i] == 0) dead++;
            density[i] = (float) (active[i] / (double) n[0]);
        }
        double clean = crossEntropy(gpt, windows);
        double withSae;
        try (SaeSplice s = SaeSplice.attach(gpt, sae, false)) {
            withSae = crossEntropy(gpt, windows);
        }
        double ablated;
        try (Hooks.Handle h = gpt.hooks().add(hook, (x, name) -> x.fill(0f))) {
            ablated = crossEntropy(gpt, windows);
        }
        return new SpliceMetrics(total / (double) n[0], 1 - err[0] / centred, clean, withSae, ablated,
                (ablated - withSae) / (ablated - clean), dead, density);
    }

    /** Mean cross-entropy of the T − 1 next-token predictions inside every window (hooks attached apply). */
    static double crossEntropy(Gpt gpt, TokenWindows w) {
        int t = w.context(), windows = w.usedTokens() / t;
        double total = 0;
        int passes = 0;
        for (int first = 0; first < windows; first += w.windowsPerPass()) {
            int b = Math.min(w.windowsPerPass(), windows - first);
            int[] in = new int[b * (t - 1)], target = new int[b * (t - 1)];
            for (int i = 0; i < b; i++) {
                int start = (first + i) * t;
                System.arraycopy(w.tokens(), start, in, i * (t - 1), t - 1);
                System.arraycopy(w.tokens(), start + 1, target, i * (t - 1), t - 1);
            }
            total += (double) gpt.loss(in, target, b, t - 1) * b;
            passes += b;
        }
        return total / passes;
    }

    /** The feature densities as a log10 histogram: counts of features per bin of width 0.5 from −8 to 0, dead features apart. */
    public int[] log10DensityHistogram() {
        int[] bins = new int[16];
        for (float d : density) if (d > 0) bins[Math.max(0, Math.min(15, (int) Math.floor((Math.log10(d) + 8) * 2)))]++;
        return bins;
    }

    @Override
    public String toString() {
        return "SpliceMetrics[l0=" + l0 + ", explainedVariance=" + explainedVariance + ", ceLossScore=" + ceLossScore + ", dead=" + deadFeatures
                + ", density=" + Arrays.toString(Arrays.copyOf(density, 4)) + "…]";
    }
}
