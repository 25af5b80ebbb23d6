package dev.loupe.train;

import dev.loupe.tensor.LaneSum;
import dev.loupe.tensor.Parallel;
import dev.loupe.tensor.Tensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.Map;

/**
 * The global L2 norm of all gradients (as if concatenated into one vector), the finiteness check
 * that stops a diverging run, and norm clipping as {@code torch.nn.utils.clip_grad_norm_} does it:
 * with {@code coef = maxNorm / (‖g‖ + 1e-6)}, every gradient is multiplied by {@code coef} when
 * {@code coef < 1}.
 *
 * <p>Sums of squares are taken in fixed blocks of {@value #BLOCK} elements (float lanes within a
 * block, double across blocks, blocks added in order), so the norm is the same for any thread count.
 */
public final class GradientNorm {
    static final int BLOCK = 4096;
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private GradientNorm() {}

    /**
     * The global norm of {@code grads}; throws {@link NonFiniteException} naming the first tensor (in
     * map order) that holds a NaN or an infinity.
     *
     * @param step the 1-based step, for the error message
     */
    public static double checkedNorm(Map<String, Tensor> grads, long step) {
        double total = 0;
        for (var e : grads.entrySet()) {
            double s = sumOfSquares(e.getValue());
            if (!Double.isFinite(s)) throw new NonFiniteException(step, "gradient of " + e.getKey());
            total += s;
        }
        return Math.sqrt(total);
    }

    /**
     * Scales every gradient so that the global norm is at most {@code maxNorm}, given the current
     * {@code norm}; returns the factor applied (1 when nothing was clipped).
     */
    public static float clip(Map<String, Tensor> grads, double maxNorm, double norm) {
        float coef = (float) maxNorm / ((float) norm + 1e-6f);
        if (!(coef < 1f)) return 1f;
        for (Tensor g : grads.values()) scale(g, coef);
        return coef;
    }

    /** Σ x² of a tensor, accumulated per block in float lanes and across blocks in double. */
    static double sumOfSquares(Tensor t) {
        Tensor c = t.contiguous();
        float[] a = c.data();
        int off = c.offset(), n = c.size();
        int blocks = (n + BLOCK - 1) / BLOCK;
        double[] partial = new double[blocks];
        Parallel.forRange(blocks, 16, (from, to) -> {
            for (int b = from; b < to; b++) {
                int lo = off + b * BLOCK, hi = off + Math.min(n, (b + 1) * BLOCK);
                FloatVector acc = FloatVector.zero(S);
                int i = lo;
                for (int upper = lo + S.loopBound(hi - lo); i < upper; i += S.length()) {
                    FloatVector x = FloatVector.fromArray(S, a, i);
                    acc = x.fma(x, acc);
                }
                double s = LaneSum.of(acc);   // lane order: reproducible, compiled or not
                for (; i < hi; i++) s += (double) a[i] * a[i];
                partial[b] = s;
            }
        });
        double s = 0;
        for (double p : partial) s += p;
        return s;
    }

    private static void scale(Tensor g, float coef) {
        float[] a = g.contiguousData();
        int off = g.offset();
        Parallel.forRange(g.size(), 1 << 15, (from, to) -> {
            int i = from;
            for (int upper = from + S.loopBound(to - from); i < upper; i += S.length()) {
                FloatVector.fromArray(S, a, off + i).mul(coef).intoArray(a, off + i);
            }
            for (; i < to; i++) a[off + i] *= coef;
        });
    }
}
