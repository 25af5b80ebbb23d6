package dev.loupe.experiments.grokking;

/**
 * The logits of a modular-addition model over all p² inputs, split along the directions the
 * algorithm of Nanda et al. uses: for each output c, the logit as a function of (a, b) is
 *
 * <pre>
 *   L_c(a, b) = const_c + Σ_{k ∈ keys} [α_ck · cos(w_k(a+b)) + β_ck · sin(w_k(a+b))] + rest_c(a, b),   w_k = 2πk/p
 * </pre>
 *
 * where the middle ("key") part is the orthogonal projection of L_c onto the 2·|keys| directions
 * cos(w_k(a+b)), sin(w_k(a+b)) (orthogonal over Z_p², squared norm p²/2 each, and orthogonal to the
 * constant), so the three parts add back to the logits exactly. <b>Restricted logits</b> keep only the
 * key frequencies (const + key); <b>excluded logits</b> remove them (const + rest = L − key).
 *
 * @param p        the modulus
 * @param vocab    V, logits per input
 * @param constant [V]: the mean of each output's logit over the p² inputs
 * @param key      [p²·V], row (a·p + b): the key-frequency part
 * @param rest     [p²·V]: everything else
 */
public record LogitDecomposition(int p, int vocab, double[] constant, double[] key, double[] rest) {

    /** Splits {@code logits} [p²·V] (row a·p + b) along the key frequencies {@code keys} (each in 1 … (p−1)/2). */
    public static LogitDecomposition of(float[] logits, int p, int vocab, int[] keys) {
        int n = p * p;
        if (logits.length != n * vocab) throw new IllegalArgumentException("expected " + n + "×" + vocab + " logits, got " + logits.length);
        double[] mean = new double[vocab];
        double[][] bySum = new double[vocab][p];                 // S_c[s] = Σ_{a+b ≡ s} L_c(a, b)
        for (int a = 0; a < p; a++)
            for (int b = 0; b < p; b++) {
                int row = (a * p + b) * vocab, s = (a + b) % p;
                for (int c = 0; c < vocab; c++) {
                    mean[c] += logits[row + c];
                    bySum[c][s] += logits[row + c];
                }
            }
        for (int c = 0; c < vocab; c++) mean[c] /= n;
        double[][] cos = new double[keys.length][p], sin = new double[keys.length][p];   // cos(w_k s), sin(w_k s)
        for (int i = 0; i < keys.length; i++) {
            if (keys[i] < 1 || keys[i] > (p - 1) / 2) throw new IllegalArgumentException("key frequency " + keys[i] + " is not in 1 … " + (p - 1) / 2);
            for (int s = 0; s < p; s++) {
                double angle = 2 * Math.PI * (((long) keys[i] * s) % p) / p;
                cos[i][s] = Math.cos(angle);
                sin[i][s] = Math.sin(angle);
            }
        }
        double norm = 2.0 / n;                                   // 1 / ‖cos(w_k(a+b))‖² over Z_p²
        double[][] alpha = new double[keys.length][vocab], beta = new double[keys.length][vocab];
        for (int i = 0; i < keys.length; i++)
            for (int c = 0; c < vocab; c++) {
                double x = 0, y = 0;
                for (int s = 0; s < p; s++) {
                    x += bySum[c][s] * cos[i][s];
                    y += bySum[c][s] * sin[i][s];
                }
                alpha[i][c] = x * norm;
                beta[i][c] = y * norm;
            }
        double[] key = new double[n * vocab], rest = new double[n * vocab];
        double[] bySumKey = new double[vocab];
        for (int s = 0; s < p; s++) {                            // the key part depends on (a + b) mod p only
            java.util.Arrays.fill(bySumKey, 0);
            for (int i = 0; i < keys.length; i++)
                for (int c = 0; c < vocab; c++) bySumKey[c] += alpha[i][c] * cos[i][s] + beta[i][c] * sin[i][s];
            for (int a = 0; a < p; a++) {
                int b = ((s - a) % p + p) % p, row = (a * p + b) * vocab;
                for (int c = 0; c < vocab; c++) {
                    key[row + c] = bySumKey[c];
                    rest[row + c] = logits[row + c] - mean[c] - bySumKey[c];
                }
            }
        }
        return new LogitDecomposition(p, vocab, mean, key, rest);
    }

    /** const + key [p²·V]: the logits with only the key frequencies kept. */
    public double[] restricted() {
        double[] out = new double[key.length];
        for (int i = 0; i < out.length; i++) out[i] = constant[i % vocab] + key[i];
        return out;
    }

    /** const + rest = L − key [p²·V]: the logits with the key frequencies removed. */
    public double[] excluded() {
        double[] out = new double[rest.length];
        for (int i = 0; i < out.length; i++) out[i] = constant[i % vocab] + rest[i];
        return out;
    }
}
