package dev.loupe.sae;

import dev.loupe.tensor.Parallel;
import dev.loupe.tensor.Tensor;
import dev.loupe.tensor.matmul.Matmul;

import java.util.Map;

/**
 * {@link SaeStep} for a standard SAE whose latents are densely active (a freshly initialised SAE
 * fires on about half of them): everything after the encoder as GEMMs on the dense [N, d_sae]
 * activations, in place, without a list of active pairs.
 * <pre>
 *   f = ReLU(pre)                        (in place)
 *   x̂ = f·W_dec + b_dec,  g = 2(x̂ − x)/N
 *   dW_dec = fᵀ·g + (λ/N)(Σ_n f_nj) W_dec[j]/‖W_dec[j]‖
 *   dpre = (g·W_decᵀ + (λ/N)‖W_dec[j]‖) ⊙ [f &gt; 0]
 *   dW_enc = x'ᵀ·dpre,  db_enc = Σ_n dpre,  db_dec = Σ_n g − W_enc·db_enc
 * </pre>
 */
final class DenseStandardStep {
    private DenseStandardStep() {}

    static SaeLoss run(SparseAutoencoder sae, Tensor xc, Tensor xp, Tensor pre, double l1Coef, Map<String, Tensor> grads,
                       int[] counts) {
        int n = xc.dim(0), dIn = sae.dIn(), dSae = sae.dSae();
        float[] f = pre.contiguousData();
        int fo = pre.offset();
        int[] active = new int[dSae];
        double[] colSum = new double[dSae];
        Parallel.forRange(dSae, 64, (from, to) -> {            // f = ReLU(pre) in place, per-latent sums
            for (int r = 0; r < n; r++) {
                int base = fo + r * dSae;
                for (int j = from; j < to; j++) {
                    float v = f[base + j];
                    if (v > 0f) {
                        active[j]++;
                        colSum[j] += v;
                    } else {
                        f[base + j] = 0f;
                    }
                }
            }
        });
        float[] norms = SaeStep.rowNorms(sae.wDec());
        long nnz = 0;
        double l1 = 0;
        float[] colSumF = new float[dSae];
        for (int j = 0; j < dSae; j++) {
            nnz += active[j];
            l1 += colSum[j] * norms[j];
            colSumF[j] = (float) colSum[j];
            if (counts != null) counts[j] += active[j];
        }
        l1 = l1Coef * l1 / n;

        Tensor recons = SparseAutoencoder.broadcastRows(sae.bDec(), n);
        Matmul.gemm(false, false, 1f, pre, sae.wDec(), 1f, recons);          // x̂ = f·W_dec + b_dec
        Tensor g = Tensor.zeros(n, dIn);
        double sse = SaeStep.residual(xc, recons, g);
        Tensor gWDec = grads.get("W_dec");
        Matmul.gemm(true, false, 1f, pre, g, 0f, gWDec);                      // fᵀ·g
        float l1PerToken = (float) (l1Coef / n);
        SaeStep.addL1DecoderTerm(colSumF, sae.wDec(), norms, l1PerToken, gWDec);

        Tensor dpre = Matmul.matmul(g, false, sae.wDec(), true);             // g·W_decᵀ [N, d_sae]
        float[] dp = dpre.data();
        Parallel.forRange(n, 16, (from, to) -> {
            for (int r = from; r < to; r++) {
                int base = r * dSae;
                for (int j = 0; j < dSae; j++) {
                    dp[base + j] = f[fo + base + j] > 0f ? dp[base + j] + l1PerToken * norms[j] : 0f;
                }
            }
        });
        Matmul.gemm(true, false, 1f, xp, dpre, 0f, grads.get("W_enc"));       // x'ᵀ·dpre
        SaeStep.finishBiases(sae, SaeStep.columnSums(dpre), SaeStep.columnSums(g), grads);

        double mse = sse / n, variance = SaeStep.totalVariance(xc);
        return new SaeLoss(mse + l1, mse, l1, 0, nnz / (double) n, variance > 0 ? 1 - sse / variance : Double.NaN);
    }
}
