package dev.loupe.model;

import dev.loupe.tensor.Tensor;

/**
 * The routing of N positions by one mixture-of-experts layer ({@link MixtureOfExperts}).
 *
 * @param logits  router logits g = u·W_gate [N, E]
 * @param probs   p = softmax(g) [N, E]
 * @param indices the chosen experts [N, k] as ints, row t at {@code indices[t·k .. t·k + k)}, largest p first
 * @param weights their renormalised weights w [N, k] (each row sums to 1)
 * @param matrix  the dense routing matrix R [N, E]: R[t, e] = w of e if t chose e, else 0. Then
 *                MoE(u) = Σ_e diag(R[:, e])·Expert_e(u); RᵀR [E, E] has the experts' Σ w² on its
 *                diagonal and their co-routing on the off-diagonal.
 */
public record Routing(Tensor logits, Tensor probs, int[] indices, Tensor weights, Tensor matrix) {

    /** A routing with R built from the indices and weights (a chosen-twice expert gets the sum). */
    static Routing of(Tensor logits, Tensor probs, int[] indices, Tensor weights, int experts) {
        int n = logits.dim(0), k = weights.dim(1);
        Tensor r = Tensor.zeros(n, experts);
        float[] w = weights.contiguousData(), d = r.data();
        for (int t = 0; t < n; t++) {
            for (int c = 0; c < k; c++) d[t * experts + indices[t * k + c]] += w[t * k + c];
        }
        return new Routing(logits, probs, indices, weights, r);
    }

    /** The number of positions N. */
    public int positions() {
        return logits.dim(0);
    }

    /** k, the experts per position. */
    public int topK() {
        return weights.dim(1);
    }

    /** The c-th chosen expert of position t (c = 0 is the router's first choice). */
    public int expert(int t, int c) {
        return indices[t * topK() + c];
    }
}
