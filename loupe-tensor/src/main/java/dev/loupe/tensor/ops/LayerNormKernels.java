package dev.loupe.tensor.ops;

import dev.loupe.tensor.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import static dev.loupe.tensor.ops.KernelSupport.L;
import static dev.loupe.tensor.ops.KernelSupport.S;

/**
 * Vector API kernels for LayerNorm (Ba et al., 2016) over the last axis of dense rows of width d,
 * forward and backward, following llm.c's {@code layernorm_forward/backward}.
 *
 * <p>Row statistics are accumulated in float lanes (two passes: mean, then the centred variance, so
 * no catastrophic cancellation); against {@link ReferenceOps}' double accumulation the outputs
 * agree to about 10⁻⁶ relative for d = 768. The backward pass parallelises dx over rows and
 * dγ, dβ over columns, so every element is accumulated in the same row order as the reference:
 * results do not depend on the thread count.
 */
public final class LayerNormKernels {
    private LayerNormKernels() {}

    /**
     * {@code out = (x − μ)·rstd·γ + β} per row, {@code rstd = 1/√(σ² + eps)} with the biased variance;
     * stores μ and rstd per row into {@code mean}/{@code rstd} (from offsets mo/ro) unless null.
     */
    public static void forward(float[] x, int xo, float[] gamma, int gOff, float[] beta, int bOff, float eps,
                               float[] out, int oo, float[] mean, int mo, float[] rstd, int ro, int rows, int d) {
        KernelSupport.rows(rows, d, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int xr = xo + r * d, or = oo + r * d;
                float mu = sum(x, xr, d) / d;
                float var = centredSquares(x, xr, d, mu) / d;
                float rs = (float) (1.0 / Math.sqrt((double) var + eps));
                int j = 0;
                for (int bound = S.loopBound(d); j < bound; j += L) {
                    FloatVector xhat = FloatVector.fromArray(S, x, xr + j).sub(mu).mul(rs);
                    xhat.fma(FloatVector.fromArray(S, gamma, gOff + j), FloatVector.fromArray(S, beta, bOff + j)).intoArray(out, or + j);
                }
                for (; j < d; j++) out[or + j] = Math.fma((x[xr + j] - mu) * rs, gamma[gOff + j], beta[bOff + j]);
                if (mean != null) mean[mo + r] = mu;
                if (rstd != null) rstd[ro + r] = rs;
            }
        });
    }

    /**
     * Accumulating backward ({@code +=} into dx, dγ, dβ):
     * {@code dx += rstd·(dŷ − mean(dŷ) − x̂·mean(dŷ ⊙ x̂))}, {@code dγ += Σ_rows x̂ ⊙ dout},
     * {@code dβ += Σ_rows dout}, with {@code dŷ = dout ⊙ γ} and {@code x̂ = (x − μ)·rstd}.
     */
    public static void backward(float[] dout, int go, float[] x, int xo, float[] mean, int mo, float[] rstd, int ro,
                                float[] gamma, int gOff, float[] dx, int dxo, float[] dgamma, int dgo, float[] dbeta, int dbo,
                                int rows, int d) {
        KernelSupport.rows(rows, d, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int xr = xo + r * d, gr = go + r * d, dr = dxo + r * d;
                float mu = mean[mo + r], rs = rstd[ro + r];
                FloatVector accDn = FloatVector.zero(S), accDnX = FloatVector.zero(S);
                int j = 0;
                for (int bound = S.loopBound(d); j < bound; j += L) {
                    FloatVector xhat = FloatVector.fromArray(S, x, xr + j).sub(mu).mul(rs);
                    FloatVector dn = FloatVector.fromArray(S, gamma, gOff + j).mul(FloatVector.fromArray(S, dout, gr + j));
                    accDn = accDn.add(dn);
                    accDnX = dn.fma(xhat, accDnX);
                }
                float sDn = KernelSupport.sumLanes(accDn), sDnX = KernelSupport.sumLanes(accDnX);
                for (int k = j; k < d; k++) {
                    float xhat = (x[xr + k] - mu) * rs;
                    float dn = gamma[gOff + k] * dout[gr + k];
                    sDn += dn;
                    sDnX += dn * xhat;
                }
                float meanDn = sDn / d, meanDnX = sDnX / d;
                j = 0;
                for (int bound = S.loopBound(d); j < bound; j += L) {
                    FloatVector xhat = FloatVector.fromArray(S, x, xr + j).sub(mu).mul(rs);
                    FloatVector dn = FloatVector.fromArray(S, gamma, gOff + j).mul(FloatVector.fromArray(S, dout, gr + j));
                    FloatVector g = dn.sub(meanDn).sub(xhat.mul(meanDnX)).mul(rs);
                    FloatVector.fromArray(S, dx, dr + j).add(g).intoArray(dx, dr + j);
                }
                for (; j < d; j++) {
                    float xhat = (x[xr + j] - mu) * rs;
                    float dn = gamma[gOff + j] * dout[gr + j];
                    dx[dr + j] += rs * (dn - meanDn - xhat * meanDnX);
                }
            }
        });
        // dγ and dβ: column blocks in parallel, rows in order inside each block.
        final int block = 64;
        int blocks = (d + block - 1) / block;
        Parallel.RangeTask columns = (b0, b1) -> {
            int c0 = b0 * block, c1 = Math.min(d, b1 * block);
            for (int r = 0; r < rows; r++) {
                int xr = xo + r * d, gr = go + r * d;
                float mu = mean[mo + r], rs = rstd[ro + r];
                int j = c0;
                for (int bound = c0 + S.loopBound(c1 - c0); j < bound; j += L) {
                    FloatVector g = FloatVector.fromArray(S, dout, gr + j);
                    FloatVector xhat = FloatVector.fromArray(S, x, xr + j).sub(mu).mul(rs);
                    xhat.fma(g, FloatVector.fromArray(S, dgamma, dgo + j)).intoArray(dgamma, dgo + j);
                    FloatVector.fromArray(S, dbeta, dbo + j).add(g).intoArray(dbeta, dbo + j);
                }
                for (; j < c1; j++) {
                    float g = dout[gr + j];
                    dgamma[dgo + j] = Math.fma((x[xr + j] - mu) * rs, g, dgamma[dgo + j]);
                    dbeta[dbo + j] += g;
                }
            }
        };
        if ((long) rows * d < 2L * KernelSupport.GRAIN || blocks < 2) columns.run(0, blocks);
        else Parallel.forRange(blocks, Math.max(1, KernelSupport.GRAIN / (rows * block)), columns);
    }

    static float sum(float[] x, int o, int n) {
        FloatVector acc = FloatVector.zero(S);
        int j = 0;
        for (int bound = S.loopBound(n); j < bound; j += L) acc = acc.add(FloatVector.fromArray(S, x, o + j));
        float s = KernelSupport.sumLanes(acc);
        for (; j < n; j++) s += x[o + j];
        return s;
    }

    private static float centredSquares(float[] x, int o, int n, float mu) {
        FloatVector acc = FloatVector.zero(S);
        int j = 0;
        for (int bound = S.loopBound(n); j < bound; j += L) {
            FloatVector c = FloatVector.fromArray(S, x, o + j).sub(mu);
            acc = c.fma(c, acc);
        }
        float s = KernelSupport.sumLanes(acc);
        for (; j < n; j++) {
            float c = x[o + j] - mu;
            s += c * c;
        }
        return s;
    }
}
