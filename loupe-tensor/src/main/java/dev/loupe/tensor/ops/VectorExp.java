package dev.loupe.tensor.ops;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * e^x for every lane, from additions, multiplications and bit shifts only, so the result is the same
 * bit for bit whether the code runs interpreted or JIT-compiled. {@code lanewise(VectorOperators.EXP)}
 * is not: compiled, it calls the CPU vector math library (SVML), interpreted it falls back to
 * {@code Math.exp}, and the two differ in the last bit for about 1 % of inputs — enough for two
 * identical training runs to part after a few steps, depending on when the JIT got to the softmax.
 *
 * <p>Method (Cody–Waite): x = k·ln 2 + r with k = round(x / ln 2) and |r| ≤ ln 2 / 2, ln 2 split into a
 * high part exact in float and a low part; e^r by its Taylor polynomial to degree 7 (truncation error
 * below 1.5·10⁻⁹ relative, under an ulp of float), Horner with fused multiply-adds; then the exponent
 * field adds k, in two halves so that results in the subnormal range and up to overflow come out
 * right. Within 2 ulp of {@code Math.exp} over the float range (tested); e^(−∞) = 0, e^(+∞) = +∞, NaN
 * stays NaN.
 */
final class VectorExp {
    private VectorExp() {}

    private static final VectorSpecies<Float> S = KernelSupport.S;
    
    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f;          // 8 significant bits: k·LN2_HI is exact for |k| < 2¹⁶
    private static final float LN2_LO = -2.12194440e-4f;       // ln 2 − LN2_HI
    private static final float ROUND = 12582912f;              // 1.5·2²³: adding and subtracting it rounds to an integer
    /** Below this e^x rounds to 0 in float (e^−103.97 is the smallest subnormal); clamping keeps k small. */
    private static final float LOWEST = -110f;
    /** Above this e^x overflows to +∞ in float (e^88.72 is the largest float). */
    private static final float HIGHEST = 89f;

    /** e^v, lane by lane. */
    static FloatVector exp(FloatVector v) {
        FloatVector x = v.max(LOWEST).min(HIGHEST);                 // NaN lanes stay NaN through max/min
        FloatVector k = x.mul(LOG2E).add(ROUND).sub(ROUND);        // round(x / ln 2), exactly an integer
        FloatVector r = k.fma(FloatVector.broadcast(S, -LN2_HI), x);   // x − k·LN2_HI (k·LN2_HI is exact)
        r = k.fma(FloatVector.broadcast(S, -LN2_LO), r);               // − k·LN2_LO
        FloatVector p = r.fma(1f / 5040, 1f / 720);
        p = p.fma(r, FloatVector.broadcast(S, 1f / 120));
        p = p.fma(r, FloatVector.broadcast(S, 1f / 24));
        p = p.fma(r, FloatVector.broadcast(S, 1f / 6));
        p = p.fma(r, FloatVector.broadcast(S, 0.5f));
        p = p.fma(r, FloatVector.broadcast(S, 1f));
        p = p.fma(r, FloatVector.broadcast(S, 1f));                    // Σ_{j ≤ 7} r^j / j!
        IntVector ki = (IntVector) k.convert(VectorOperators.F2I, 0);
        IntVector k1 = ki.lanewise(VectorOperators.ASHR, 1), k2 = ki.sub(k1);   // k = k1 + k2, both ≥ −80 and ≤ 64
        return p.mul(twoTo(k1)).mul(twoTo(k2));
    }

    /** 2^k as a float, for −126 ≤ k ≤ 127: the biased exponent k + 127 shifted into place. */
    private static FloatVector twoTo(IntVector k) {
        return k.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
    }
}
