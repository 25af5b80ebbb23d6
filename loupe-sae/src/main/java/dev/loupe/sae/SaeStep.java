package dev.loupe.sae;

import dev.loupe.tensor.Parallel;
import dev.loupe.tensor.Tensor;

import java.util.Map;

/**
 * One forward and backward pass of an SAE's training objective ({@link SaeLoss}) on a batch
 * x [N, d_in], writing the gradients of W_enc, b_enc, W_dec, b_dec.
 *
 * <p>Only the encoder is dense: pre = x'·W_enc + b_enc is one GEMM. Everything after it touches
 * active latents only, through a list of the (token, latent) pairs with f &gt; 0:
 * <pre>
 *   x̂_n        = b_dec + Σ_{j active in n} f_nj W_dec[j]                 N·L0·d_in
 *   ∂L/∂f_nj   = g_n · W_dec[j] (+ λ‖W_dec[j]‖/N),  g = 2(x̂ − x)/N      N·L0·d_in
 *   ∂L/∂W_dec[j] = Σ_{n: j active} f_nj g_n (+ L1 term)                   N·L0·d_in
 *   ∂L/∂W_enc[:, j] = Σ_{n: j active} ∂L/∂pre_nj x'_n                     N·L0·d_in
 * </pre>
 * so a step costs 2·N·d_in·d_sae (the encoder) + 8·N·L0·d_in FLOPs instead of 10·N·d_in·d_sae.
 * When more than {@link #DENSE_DENSITY} of a standard SAE's latents are active (a freshly
 * initialised one fires on about half of them) {@link DenseStandardStep} uses GEMMs instead,
 * which are faster there. TopK is always sparse (L0 ≤ k).
 *
 * <p>The AuxK term adds, for each token, its k_aux chosen dead latents with their raw
 * pre-activations z (no ReLU, as SAELens does), decoded with b_dec; its gradient flows into W_dec,
 * b_dec and, through z = pre, into the encoder.
 *
 * <p>Deterministic: every sum runs in a fixed order that does not depend on the thread count.
 */
public final class SaeStep {
    /** Above this fraction of active (token, latent) pairs the dense path is used. */
    public static final double DENSE_DENSITY = 0.08;

    /** Coefficients of the objective for one step. */
    public record Coefficients(double l1, double auxK) {}

    private SaeStep() {}

    /** Forces the standard SAE's dense (GEMM) or sparse path regardless of density: null = choose by density. Tests use it. */
    static volatile Boolean forceDense;

    /**
     * Runs the step.
     *
     * @param sae    the SAE being trained (its input scale must be 1: the caller normalises x)
     * @param x      the batch [N, d_in]
     * @param coef   λ (standard) and α (topk AuxK)
     * @param dead   per latent, whether it counts as dead for AuxK (topk; may be null)
     * @param grads  "W_enc", "b_enc", "W_dec", "b_dec" tensors of the weights' shapes, overwritten
     * @param counts per latent, incremented by the number of tokens of the batch it is active on (may be null)
     */
    public static SaeLoss run(SparseAutoencoder sae, Tensor x, Coefficients coef, boolean[] dead,
                              Map<String, Tensor> grads, int[] counts) {
        if (sae.inputScale() != 1f) throw new IllegalArgumentException("train on normalised inputs with input scale 1");
        int n = x.dim(0), dIn = sae.dIn(), dSae = sae.dSae();
        Tensor xc = x.contiguous();
        Tensor xp = sae.processInput(xc);                 // x' [N, d_in]
        Tensor pre = sae.preActivations(xp);              // [N, d_sae]
        boolean topk = sae.architecture() == Architecture.TOPK;
        if (sae.architecture() == Architecture.JUMPRELU) {
            throw new IllegalArgumentException("jumprelu SAEs are inference-only in Loupe");
        }
        if (!topk && (forceDense != null ? forceDense : countPositive(pre) > DENSE_DENSITY * n * (double) dSae)) {
            return DenseStandardStep.run(sae, xc, xp, pre, coef.l1(), grads, counts);
        }
        Active act = topk ? Active.topk(pre, sae.config().k()) : Active.relu(pre);
        if (counts != null) for (int p = 0; p < act.nnz; p++) counts[act.col[p]]++;

        float[] wDecNorm = rowNorms(sae.wDec());
        // x̂ [N, d_in]
        Tensor recons = SparseAutoencoder.broadcastRows(sae.bDec(), n);
        act.decodeInto(sae.wDec(), recons);
        Tensor g = Tensor.zeros(n, dIn);
        double sse = residual(xc, recons, g);                                  // g = 2(x̂ − x)/N
        double l1 = 0;
        if (!topk) {
            for (int p = 0; p < act.nnz; p++) l1 += (double) act.val[p] * wDecNorm[act.col[p]];
            l1 = coef.l1() * l1 / n;
        }

        Tensor gWDec = grads.get("W_dec"), gWEnc = grads.get("W_enc");
        // ∂L/∂pre at active pairs (dpre) and dW_dec
        float l1PerToken = (float) (coef.l1() / n);
        float[] dpre = new float[act.nnz];
        act.dotRows(g, sae.wDec(), dpre);
        act.accumulateColumns(act.val, g, gWDec, false);
        if (!topk) {
            for (int p = 0; p < act.nnz; p++) dpre[p] += l1PerToken * wDecNorm[act.col[p]];
            float[] colSum = new float[dSae];
            act.columnSumsInto(act.val, colSum);
            addL1DecoderTerm(colSum, sae.wDec(), wDecNorm, l1PerToken, gWDec);
        }
        float[] bDecGrad = columnSums(g);                                      // Σ_n g_n

        // AuxK
        double aux = 0;
        Active auxAct = null;
        float[] auxDpre = null;
        if (topk && dead != null) {
            int numDead = 0;
            for (boolean b : dead) if (b) numDead++;
            if (numDead > 0) {
                int kAux = Math.min(dIn / 2, numDead);
                double scale = Math.min(numDead / (double) (dIn / 2), 1.0);
                auxAct = Active.topkOf(pre, kAux, dead);
                Tensor eHat = SparseAutoencoder.broadcastRows(sae.bDec(), n);
                auxAct.decodeInto(sae.wDec(), eHat);
                // e = x − x̂ ; diff = ê − e
                float[] xr = xc.data(), rr = recons.data(), eh = eHat.data();
                int xo = xc.offset();
                Tensor ga = Tensor.zeros(n, dIn);
                float[] gaa = ga.data();
                double s2 = 0;
                float c = (float) (2 * coef.auxK() * scale / n);
                for (int r = 0; r < n; r++) {
                    for (int i = 0; i < dIn; i++) {
                        float e = xr[xo + r * dIn + i] - rr[r * dIn + i];
                        float d = eh[r * dIn + i] - e;
                        s2 += (double) d * d;
                        gaa[r * dIn + i] = c * d;
                    }
                }
                aux = coef.auxK() * scale * s2 / n;
                auxDpre = new float[auxAct.nnz];
                auxAct.dotRows(ga, sae.wDec(), auxDpre);
                auxAct.accumulateColumns(auxAct.val, ga, gWDec, true);
                float[] ab = columnSums(ga);
                for (int i = 0; i < dIn; i++) bDecGrad[i] += ab[i];
            }
        }

        // encoder: dW_enc = x'ᵀ·dpre, db_enc = Σ_n dpre
        float[] bEncGrad = new float[dSae];
        Tensor gEncT = Tensor.zeros(dSae, dIn);                                // dW_encᵀ [d_sae, d_in]
        act.accumulateColumns(dpre, xp, gEncT, false);
        if (auxAct != null) auxAct.accumulateColumns(auxDpre, xp, gEncT, true);
        transposeInto(gEncT, gWEnc);
        act.columnSumsInto(dpre, bEncGrad);
        if (auxAct != null) auxAct.columnSumsInto(auxDpre, bEncGrad);
        finishBiases(sae, bEncGrad, bDecGrad, grads);

        double mse = sse / n, variance = totalVariance(xc);
        return new SaeLoss(mse + l1 + aux, mse, l1, aux, act.nnz / (double) n, variance > 0 ? 1 - sse / variance : Double.NaN);
    }

    /** Number of positive entries of m. */
    static long countPositive(Tensor m) {
        float[] a = m.data();
        int o = m.offset(), size = m.size();
        long c = 0;
        for (int i = 0; i < size; i++) if (a[o + i] > 0f) c++;
        return c;
    }

    /** g = 2(x̂ − x)/N into g [N, d_in]; returns Σ‖x̂ − x‖². */
    static double residual(Tensor x, Tensor recons, Tensor g) {
        int n = x.dim(0), dIn = x.dim(1);
        float[] xr = x.data(), rr = recons.data(), gg = g.data();
        int xo = x.offset();
        float scaleG = 2f / n;
        double sse = 0;
        for (int r = 0; r < n; r++) {
            for (int i = 0; i < dIn; i++) {
                float d = rr[r * dIn + i] - xr[xo + r * dIn + i];
                sse += (double) d * d;
                gg[r * dIn + i] = scaleG * d;
            }
        }
        return sse;
    }

    /**
     * Writes db_enc and db_dec; with b_dec applied to the input (x' = x − b_dec) db_dec also gets
     * −Σ_n ∂L/∂x'_n = −W_enc·db_enc.
     */
    static void finishBiases(SparseAutoencoder sae, float[] bEncGrad, float[] bDecGrad, Map<String, Tensor> grads) {
        int dIn = sae.dIn(), dSae = sae.dSae();
        Tensor gBEnc = grads.get("b_enc"), gBDec = grads.get("b_dec");
        System.arraycopy(bEncGrad, 0, gBEnc.contiguousData(), gBEnc.offset(), dSae);
        if (sae.config().applyBDecToInput()) {
            float[] we = sae.wEnc().data();
            int weo = sae.wEnc().offset();
            for (int i = 0; i < dIn; i++) {
                double s = 0;
                for (int j = 0; j < dSae; j++) s += (double) we[weo + i * dSae + j] * bEncGrad[j];
                bDecGrad[i] -= (float) s;
            }
        }
        System.arraycopy(bDecGrad, 0, gBDec.contiguousData(), gBDec.offset(), dIn);
    }

    /** Σ_n ‖x_n − x̄‖² of x [N, d]. */
    static double totalVariance(Tensor x) {
        int n = x.dim(0), d = x.dim(1);
        float[] a = x.data();
        int o = x.offset();
        double[] mean = new double[d];
        for (int r = 0; r < n; r++) for (int i = 0; i < d; i++) mean[i] += a[o + r * d + i];
        for (int i = 0; i < d; i++) mean[i] /= n;
        double s = 0;
        for (int r = 0; r < n; r++) {
            for (int i = 0; i < d; i++) {
                double v = a[o + r * d + i] - mean[i];
                s += v * v;
            }
        }
        return s;
    }

    /** ‖W_dec[j]‖ for each row j. */
    static float[] rowNorms(Tensor w) {
        int rows = w.dim(0), d = w.dim(1);
        float[] a = w.data(), out = new float[rows];
        int o = w.offset();
        Parallel.forRange(rows, 64, (from, to) -> {
            for (int j = from; j < to; j++) out[j] = (float) Math.sqrt(VectorKernels.dot(a, o + j * d, a, o + j * d, d));
        });
        return out;
    }

    /** ∂/∂W_dec[j] of λ/N Σ_n f_nj ‖W_dec[j]‖ = (λ/N)(Σ_n f_nj) W_dec[j]/‖W_dec[j]‖, given colSum[j] = Σ_n f_nj. */
    static void addL1DecoderTerm(float[] colSum, Tensor wDec, float[] norms, float l1PerToken, Tensor gWDec) {
        int dSae = wDec.dim(0), d = wDec.dim(1);
        float[] w = wDec.data(), gw = gWDec.contiguousData();
        int wo = wDec.offset(), go = gWDec.offset();
        for (int j = 0; j < dSae; j++) {
            if (colSum[j] == 0 || norms[j] == 0) continue;
            VectorKernels.axpy(l1PerToken * colSum[j] / norms[j], w, wo + j * d, gw, go + j * d, d);
        }
    }

    /** Σ over rows of m [N, d], summed row by row in order (deterministic). */
    static float[] columnSums(Tensor m) {
        int n = m.dim(0), d = m.dim(1);
        float[] a = m.data(), out = new float[d];
        int o = m.offset();
        Parallel.forRange(d, 64, (from, to) -> {
            for (int r = 0; r < n; r++) {
                for (int i = from; i < to; i++) out[i] += a[o + r * d + i];
            }
        });
        return out;
    }

    private static void transposeInto(Tensor src, Tensor dst) {
        int rows = src.dim(0), cols = src.dim(1);
        float[] s = src.data(), d = dst.contiguousData();
        int doff = dst.offset();
        Parallel.forRange(cols, 16, (from, to) -> {
            for (int i = from; i < to; i++) {
                for (int j = 0; j < rows; j++) d[doff + i * rows + j] = s[j * cols + i];
            }
        });
    }
}
