package dev.loupe.sae;

import dev.loupe.model.Gpt;
import dev.loupe.tensor.Tensor;

/**
 * The direct effect on the logits of writing a direction into the final residual stream, read
 * through the final LayerNorm as TransformerLens's direct logit attribution reads a component
 * ({@code cache.apply_ln_to_stack} with a folded W_U):
 * <pre>
 *   effect[i, v] = ((d_i − mean(d_i)) ⊙ γ) · W_U[:, v] / s      // d_i [d_model], γ = ln_final.weight
 * </pre>
 * centred because LayerNorm subtracts the mean, times γ because LayerNorm scales each coordinate,
 * divided by s, ln_final's scale √(var + ε) — one number: the mean of {@code ln_final.hook_scale}
 * over the tokens a dashboard read, as a feature has no single position. ln_final's β and the
 * unembedding bias add the same to every direction and are left out.
 */
public final class LogitEffects {
    private LogitEffects() {}

    /** Effects [n, V] of directions [n, d_model] with the final LayerNorm's scale {@code scale}. */
    public static Tensor of(Gpt gpt, Tensor directions, double scale) {
        int n = directions.dim(0), d = directions.dim(1);
        Tensor gamma = gpt.lnFinal.weight;
        Tensor read = Tensor.zeros(n, d);                                   // [n, d_model]
        for (int i = 0; i < n; i++) {
            double mean = 0;
            for (int j = 0; j < d; j++) mean += directions.get(i, j);
            mean /= d;
            for (int j = 0; j < d; j++) read.set((float) ((directions.get(i, j) - mean) * gamma.get(j) / scale), i, j);
        }
        Tensor effects = Tensor.zeros(n, gpt.unembedding.vocabSize());
        gpt.unembedding.forward(read, effects);                              // [n, d]·[d, V] → [n, V]; bfloat16 W_U read as held
        return effects;
    }

    /** The effects [n] of directions [n, d_model] on the logit of one token {@code target} (same formula, in double). */
    public static double[] onToken(Gpt gpt, Tensor directions, double scale, int target) {
        int n = directions.dim(0), d = directions.dim(1);
        Tensor gamma = gpt.lnFinal.weight, wu = gpt.unembedding.rowFloat32(target);   // W_U[target] [d_model]
        double[] read = new double[d];                                       // γ ⊙ W_U[target] / scale
        for (int j = 0; j < d; j++) read[j] = gamma.get(j) * wu.get(j) / scale;
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            double mean = 0, s = 0;
            for (int j = 0; j < d; j++) mean += directions.get(i, j);
            mean /= d;
            for (int j = 0; j < d; j++) s += (directions.get(i, j) - mean) * read[j];
            out[i] = s;
        }
        return out;
    }

    /** Indices of the k largest (or smallest) values, most extreme first, ties by smaller index: one pass, O(V·k). */
    public static int[] extremes(float[] v, int k, boolean largest) {
        int[] best = new int[k];
        int size = 0;
        for (int i = 0; i < v.length; i++) {
            float x = largest ? v[i] : -v[i];
            if (size == k && x <= (largest ? v[best[k - 1]] : -v[best[k - 1]])) continue;
            int p = size < k ? size++ : k - 1;
            while (p > 0 && (largest ? v[best[p - 1]] : -v[best[p - 1]]) < x) {
                best[p] = best[p - 1];
                p--;
            }
            best[p] = i;
        }
        return best;
    }
}
