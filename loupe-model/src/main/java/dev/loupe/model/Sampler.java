package dev.loupe.model;

import dev.loupe.LoupeException;
import dev.loupe.tensor.Tensor;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks the next token from a row of logits. Greedy when the temperature is 0; otherwise, in this
 * order: divide the logits by the temperature, keep the {@code topK} largest (0 = all), turn them
 * into probabilities, keep the smallest set of most likely tokens whose probability adds up to at
 * least {@code topP} (nucleus sampling, Holtzman et al. 2019; 1 = all), renormalise, draw.
 *
 * <p>Deterministic: the same seed and logits give the same tokens. Ties are broken towards the
 * smaller token id. Not thread-safe (it owns its random generator).
 */
public final class Sampler {
    private final float temperature;
    private final int topK;
    private final float topP;
    private final SplittableRandom random;

    /**
     * @param temperature ≥ 0; 0 means greedy (argmax)
     * @param topK        ≥ 0; 0 means no top-k cut
     * @param topP        in (0, 1]; 1 means no nucleus cut
     * @param seed        seed of the random draws
     */
    public Sampler(float temperature, int topK, float topP, long seed) {
        if (!(temperature >= 0) || Float.isInfinite(temperature)) {
            throw new LoupeException("temperature must be a finite number ≥ 0, got " + temperature);
        }
        if (topK < 0) throw new LoupeException("top-k must be ≥ 0 (0 = no cut), got " + topK);
        if (!(topP > 0 && topP <= 1)) throw new LoupeException("top-p must be in (0, 1], got " + topP);
        this.temperature = temperature;
        this.topK = topK;
        this.topP = topP;
        this.random = new SplittableRandom(seed);
    }

    /** Always the most likely token. */
    public static Sampler greedy() {
        return new Sampler(0f, 0, 1f, 0L);
    }

    /** The next token for logits [V] (any contiguous or 1-row view). */
    public int sample(Tensor logits) {
        return sample(logits.toArray());
    }

    /** The next token for logits [V]. */
    public int sample(float[] logits) {
        int v = logits.length;
        if (temperature == 0f) return argmax(logits);
        // 1. temperature
        double[] z = new double[v];
        for (int i = 0; i < v; i++) z[i] = logits[i] / (double) temperature;
        // Candidates sorted by logit, largest first (only needed when a cut applies).
        int[] order;
        int kept = v;
        if (topK > 0 && topK < v || topP < 1f) {
            order = descendingOrder(z);
            // 2. top-k
            if (topK > 0) kept = Math.min(kept, topK);
        } else {
            order = null;
        }
        // 3. probabilities over the kept candidates
        double max = Double.NEGATIVE_INFINITY;
        for (int r = 0; r < kept; r++) max = Math.max(max, z[idx(order, r)]);
        double[] p = new double[kept];
        double sum = 0;
        for (int r = 0; r < kept; r++) sum += p[r] = Math.exp(z[idx(order, r)] - max);
        for (int r = 0; r < kept; r++) p[r] /= sum;
        // 4. top-p: the smallest prefix (in descending probability) with mass ≥ topP
        if (topP < 1f) {
            double mass = 0;
            int n = 0;
            while (n < kept) {
                mass += p[n++];
                if (mass >= topP) break;
            }
            kept = n;
            for (int r = 0; r < kept; r++) p[r] /= mass;
        }
        // 5. draw
        double u = random.nextDouble(), acc = 0;
        for (int r = 0; r < kept; r++) {
            acc += p[r];
            if (u < acc) return idx(order, r);
        }
        return idx(order, kept - 1); // u ≥ the rounded total: the last candidate
    }

    private static int idx(int[] order, int r) {
        return order == null ? r : order[r];
    }

    static int argmax(float[] x) {
        int best = 0;
        for (int i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
        return best;
    }

    /** Indices sorted by value descending, ties by index ascending (a primitive sort of packed keys). */
    static int[] descendingOrder(double[] z) {
        long[] keys = new long[z.length];
        for (int i = 0; i < z.length; i++) {
            int bits = Float.floatToIntBits((float) z[i]);
            int ascending = bits ^ ((bits >> 31) & 0x7fffffff); // orders like the float value
            keys[i] = ((long) ~ascending << 32) | i;              // ~: largest value first
        }
        Arrays.sort(keys);
        int[] order = new int[z.length];
        for (int i = 0; i < z.length; i++) order[i] = (int) keys[i];
        return order;
    }
}
