package dev.loupe.sae;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.LoupeException;
import dev.loupe.model.Gpt;
import dev.loupe.model.Hook;
import dev.loupe.tensor.Parallel;
import dev.loupe.tensor.Tensor;

/**
 * SAELens-style evaluation of an SAE spliced into its model, on the first N·T tokens of a stream cut
 * into N consecutive non-overlapping windows of T tokens, each run as its own context. With x the
 * hook's activation at a position, x̂ the SAE's reconstruction and f its latents, over the N·T
 * positions:
 * <pre>
 *   l0                  mean_n #{j : f_nj &gt; 0}
 *   mse                 mean_n ‖x_n − x̂_n‖²
 *   explained_variance  1 − Σ_n ‖x_n − x̂_n‖² / Σ_n ‖x_n − x̄‖²,   x̄ = mean_n x_n
 *   ce_loss_*           mean over windows and their T−1 next-token predictions of −log p(next token)
 *                       (TransformerLens' loss of a batch): clean, with x replaced by x̂ (with_sae)
 *                       and by 0 (with_ablation)
 *   ce_loss_score       (ce_ablation − ce_sae) / (ce_ablation − ce_clean)
 *   kl_div_with_*       mean over all N·T positions of KL(p_clean ‖ p_patched) of the next-token distributions
 *   kl_div_score        (kl_ablation − kl_sae) / kl_ablation
 *   dead_features       latents never active on these tokens
 *   feature_density     per latent, the fraction of the N·T positions where it is active
 * </pre>
 */
public final class SaeMetrics {

    /** All metrics of one evaluation (see the class comment). */
    public record Result(String hookName, int windows, int contextSize, double l0, double mse, double explainedVariance,
                         double ceLossClean, double ceLossWithSae, double ceLossWithAblation, double ceLossScore,
                         double klDivWithSae, double klDivWithAblation, double klDivScore, int deadFeatures,
                         float[] featureDensity) {

        /** metrics.json: the keys SAELens' evals use, plus the evaluation's shape. */
        public ObjectNode toJson() {
            ObjectNode j = JsonNodeFactory.instance.objectNode();
            j.put("hook_name", hookName);
            j.put("windows", windows);
            j.put("context_size", contextSize);
            j.put("tokens", (long) windows * contextSize);
            j.put("l0", l0);
            j.put("mse", mse);
            j.put("explained_variance", explainedVariance);
            j.put("ce_loss_clean", ceLossClean);
            j.put("ce_loss_with_sae", ceLossWithSae);
            j.put("ce_loss_with_ablation", ceLossWithAblation);
            j.put("ce_loss_score", ceLossScore);
            j.put("kl_div_with_sae", klDivWithSae);
            j.put("kl_div_with_ablation", klDivWithAblation);
            j.put("kl_div_score", klDivScore);
            j.put("dead_features", deadFeatures);
            ArrayNode d = j.putArray("feature_density");
            for (float v : featureDensity) d.add(v);
            return j;
        }
    }

    /** Told after each forward group of windows. */
    @FunctionalInterface
    public interface Listener {
        void progress(int windowsDone, int windowsTotal);
    }

    private SaeMetrics() {}

    /**
     * Evaluates {@code sae} at its hook in {@code model} on windows [w·T, (w+1)·T) of {@code tokens},
     * w &lt; {@code windows}, {@code prompts} windows per forward pass.
     *
     * @throws LoupeException when the SAE does not fit the model or the data is too short
     */
    public static Result evaluate(Gpt model, SparseAutoencoder sae, int[] tokens, int windows, int contextSize, int prompts,
                                  Listener listener) {
        SaeHookPoint hook = SaeHookPoint.forSae(model.config(), sae);
        if (contextSize < 2) throw new LoupeException("--context-size must be at least 2 (next-token losses need two tokens)");
        if (windows < 1) throw new LoupeException("--batches must be at least 1");
        if (contextSize > model.config().nPositions()) {
            throw new LoupeException("--context-size " + contextSize + " exceeds the model's context of " + model.config().nPositions());
        }
        if ((long) windows * contextSize > tokens.length) {
            throw new LoupeException("the data holds " + tokens.length + " tokens, fewer than " + windows + " windows of "
                    + contextSize + " (lower --batches or --context-size)");
        }
        int vocab = model.config().vocabSize();
        for (int i = 0; i < windows * contextSize; i++) {
            if (tokens[i] < 0 || tokens[i] >= vocab) throw new LoupeException("token id " + tokens[i] + " is outside the vocabulary of " + vocab);
        }
        int d = sae.dIn(), dSae = sae.dSae(), t = contextSize;
        long[] active = new long[dSae];
        double sse = 0, sumSq = 0, ceClean = 0, ceSae = 0, ceAbl = 0, klSae = 0, klAbl = 0;
        long l0 = 0;
        double[] sum = new double[d];
        for (int w0 = 0; w0 < windows; w0 += prompts) {
            int b = Math.min(prompts, windows - w0);
            int[] ids = java.util.Arrays.copyOfRange(tokens, w0 * t, (w0 + b) * t);
            Tensor x = Tensor.zeros(b * t, d);
            Tensor clean;
            try (var h = model.hooks().add(hook.name(), Hook.reader((a, n) -> a.reshape(b * t, d).copyInto(x)))) {
                clean = model.logits(ids, b, t);
            }
            SparseAutoencoder.Forward fw = sae.run(x);
            Tensor withSae;
            try (var h = model.hooks().add(hook.name(), (a, n) -> fw.recons().reshape(a.shape()))) {
                withSae = model.logits(ids, b, t);
            }
            Tensor ablated;
            try (var h = model.hooks().add(hook.name(), (a, n) -> Tensor.zeros(a.shape()))) {
                ablated = model.logits(ids, b, t);
            }
            float[] xa = x.data(), ra = fw.recons().data(), fa = fw.acts().data();
            for (int r = 0; r < b * t; r++) {
                for (int i = 0; i < d; i++) {
                    double v = xa[r * d + i], e = v - ra[r * d + i];
                    sse += e * e;
                    sumSq += v * v;
                    sum[i] += v;
                }
                for (int j = 0; j < dSae; j++) {
                    if (fa[r * dSae + j] > 0) { active[j]++; l0++; }
                }
            }
            double[] c = crossEntropyAndKl(clean, clean, ids, b, t, vocab);
            double[] s = crossEntropyAndKl(clean, withSae, ids, b, t, vocab);
            double[] a = crossEntropyAndKl(clean, ablated, ids, b, t, vocab);
            ceClean += c[0];
            ceSae += s[0];
            ceAbl += a[0];
            klSae += s[1];
            klAbl += a[1];
            if (listener != null) listener.progress(w0 + b, windows);
        }
        long n = (long) windows * t, predictions = (long) windows * (t - 1);
        double meanSq = 0;
        for (int i = 0; i < d; i++) meanSq += (sum[i] / n) * (sum[i] / n);
        double variance = sumSq - n * meanSq;
        float[] density = new float[dSae];
        int dead = 0;
        for (int j = 0; j < dSae; j++) {
            density[j] = (float) (active[j] / (double) n);
            if (active[j] == 0) dead++;
        }
        double cc = ceClean / predictions, cs = ceSae / predictions, ca = ceAbl / predictions;
        double ks = klSae / n, ka = klAbl / n;
        return new Result(hook.name(), windows, t, l0 / (double) n, sse / n, 1 - sse / variance, cc, cs, ca,
                (ca - cs) / (ca - cc), ks, ka, (ka - ks) / ka, dead, density);
    }

    /**
     * Sums over windows of logits [b, T, V]: [0] Σ −log softmax(patched)[next token] over the T−1
     * predictions of each window; [1] Σ KL(softmax(clean) ‖ softmax(patched)) over all positions.
     */
    static double[] crossEntropyAndKl(Tensor clean, Tensor patched, int[] ids, int b, int t, int vocab) {
        int rows = b * t;
        double[] ce = new double[rows], kl = new double[rows];
        float[] ca = clean.contiguous().data(), pa = patched.contiguous().data();
        Parallel.forRange(rows, 8, (from, to) -> {
            for (int r = from; r < to; r++) {
                int base = r * vocab;
                double lseP = logSumExp(pa, base, vocab);
                int pos = r % t;
                if (pos < t - 1) ce[r] = lseP - pa[base + ids[r + 1]];
                if (clean != patched) {
                    double lseC = logSumExp(ca, base, vocab);
                    double k = 0;
                    for (int v = 0; v < vocab; v++) {
                        double lc = ca[base + v] - lseC;
                        k += Math.exp(lc) * (lc - (pa[base + v] - lseP));
                    }
                    kl[r] = k;
                }
            }
        });
        double c = 0, k = 0;
        for (int r = 0; r < rows; r++) {
            c += ce[r];
            k += kl[r];
        }
        return new double[] {c, k};
    }

    private static double logSumExp(float[] a, int base, int n) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, a[base + i]);
        double s = 0;
        for (int i = 0; i < n; i++) s += Math.exp(a[base + i] - max);
        return max + Math.log(s);
    }
}
