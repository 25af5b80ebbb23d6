package dev.loupe.model;

import dev.loupe.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The kernels of linear and least-squares attention ({@link LinearAttentionKernel},
 * {@link LeastSquaresAttentionKernel}) against their closed forms, one head at a time. (The whole
 * models are checked against PyTorch in {@link TorchComparisonTest}, against float64 finite
 * differences in {@link GptGradientTest}, and decoding against the full forward in {@link KvCacheTest}.)
 *
 * <p>Tolerances: inputs are float32, the kernels keep float64 state and round outputs to float32, so
 * they agree with float64 closed forms to ~1e-7 relative; 1e-5 relative leaves a wide margin, while a
 * wrong formula (a missing ε, a stale inverse update, the mask off by one) is off by ≥ 1e-2.
 */
class AttentionKindsTest {
    static final int T = 12, D = 4;

    /** A [T, d_head] block of N(0, std²) numbers (as HeadRows over a plain array). */
    static HeadRows rows(long seed, double std) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[T * D];
        for (int i = 0; i < a.length; i++) a[i] = (float) (std * Tensor.gaussian(r));
        return new HeadRows(a, 0, D);
    }

    static HeadRows empty() {
        return new HeadRows(new float[T * D], 0, D);
    }

    static double[][] matrix(HeadRows r) {
        double[][] m = new double[T][D];
        for (int t = 0; t < T; t++) for (int i = 0; i < D; i++) m[t][i] = r.a()[r.at(t) + i];
        return m;
    }

    static double maxRelDiff(HeadRows got, double[][] want) {
        double diff = 0, scale = 0;
        for (int t = 0; t < want.length; t++) {
            for (int i = 0; i < D; i++) {
                diff = Math.max(diff, Math.abs(got.a()[got.at(t) + i] - want[t][i]));
                scale = Math.max(scale, Math.abs(want[t][i]));
            }
        }
        return diff / scale;
    }

    /** z = A·V with A [T, T] the kernel's pattern (scores, then normalize): the quadratic form. */
    static double[][] quadratic(RecurrentAttentionKernel k, HeadRows q, HeadRows key, HeadRows v) {
        Tensor p = Tensor.zeros(T, T);
        k.scores(q, key, T, p, 0);
        k.normalize(p, T);
        double[][] a = new double[T][T];
        for (int t = 0; t < T; t++) for (int s = 0; s < T; s++) a[t][s] = p.get(t, s);
        return ReferenceGpt.matmul(a, matrix(v));
    }

    @Test
    void linearAttentionRecurrentFormEqualsQuadraticForm() {
        for (AttentionKind kind : new AttentionKind[] {AttentionKind.linear(AttentionKind.FeatureMap.ELU1, true),
                AttentionKind.linear(AttentionKind.FeatureMap.ELU1, false), AttentionKind.linear(AttentionKind.FeatureMap.IDENTITY, false)}) {
            RecurrentAttentionKernel k = RecurrentAttentionKernel.of(kind, D, null);
            HeadRows q = rows(1, 1), key = rows(2, 1), v = rows(3, 1), out = empty();
            k.forward(q, key, v, T, out, 0);                                   // φ(q_t)ᵀ S_t / (φ(q_t)ᵀ z_t + ε)
            assertThat(maxRelDiff(out, quadratic(k, q, key, v))).as(kind.describe()).isLessThan(1e-5);
            // and the pattern itself is the float64 closed form
            double[][] want = ReferenceGpt.linearAttention(kind, matrix(q), matrix(key), matrix(v));
            assertThat(maxRelDiff(out, want)).as(kind.describe()).isLessThan(1e-5);
        }
    }

    @Test
    void normalisedLinearPatternRowsSumToOne() {
        RecurrentAttentionKernel k = RecurrentAttentionKernel.of(AttentionKind.linear(AttentionKind.FeatureMap.ELU1, true), D, null);
        Tensor p = Tensor.zeros(T, T);
        k.scores(rows(1, 1), rows(2, 1), T, p, 0);
        k.normalize(p, T);
        for (int t = 0; t < T; t++) {
            double sum = 0;
            for (int s = 0; s < T; s++) {
                if (s > t) assertThat(p.get(t, s)).isZero();
                else assertThat(p.get(t, s)).isPositive();
                sum += p.get(t, s);
            }
            assertThat(sum).isCloseTo(1, org.assertj.core.data.Offset.offset(1e-5));
        }
    }

    @Test
    void leastSquaresEqualsFloat64ExplicitSolvesAtEveryPosition() {
        for (double alpha : new double[] {0.05, 1, 20}) {
            RecurrentAttentionKernel k = RecurrentAttentionKernel.of(AttentionKind.leastSquares((float) alpha, false), D, null);
            // keys of norm ~3 over 12 positions: H_t's condition number reaches ~10³ for small α
            HeadRows q = rows(4, 1), key = rows(5, 1.5), v = rows(6, 1), out = empty();
            k.forward(q, key, v, T, out, 0);
            double[][] want = ReferenceGpt.leastSquares(matrix(q), matrix(key), matrix(v), alpha);
            assertThat(maxRelDiff(out, want)).as("α = %s", alpha).isLessThan(1e-5);
            assertThat(maxRelDiff(out, quadratic(k, q, key, v))).as("A·V, α = %s", alpha).isLessThan(1e-5);
        }
    }

    /**
     * The seed's Q[KKᵀ + αI]⁻¹KᵀV does not compose ([T,d]·[T,T]·[d,T]·…); the valid forms are the
     * primal Q(KᵀK + αI_d)⁻¹KᵀV and the dual QKᵀ(KKᵀ + αI_T)⁻¹V, equal by the push-through identity
     * (KᵀK + αI)⁻¹Kᵀ = Kᵀ(KKᵀ + αI)⁻¹. The causal kernel's last row is the primal form over the whole
     * sequence, so it equals the dual too.
     */
    @Test
    void leastSquaresPrimalEqualsDualPushThroughIdentity() {
        double alpha = 0.7;
        double[][] q = matrix(rows(7, 1)), key = matrix(rows(8, 1)), v = matrix(rows(9, 1));
        double[][] kt = transpose(key);
        double[][] primal = ReferenceGpt.matmul(q, ReferenceGpt.solve(plusDiagonal(ReferenceGpt.matmul(kt, key), alpha),
                ReferenceGpt.matmul(kt, v)));                                             // [T, d]
        double[][] dual = ReferenceGpt.matmul(ReferenceGpt.matmul(q, kt),
                ReferenceGpt.solve(plusDiagonal(ReferenceGpt.matmul(key, kt), alpha), v));  // [T, d]
        for (int t = 0; t < T; t++) for (int i = 0; i < D; i++) assertThat(dual[t][i]).isCloseTo(primal[t][i], org.assertj.core.data.Offset.offset(1e-10));

        RecurrentAttentionKernel k = RecurrentAttentionKernel.of(AttentionKind.leastSquares((float) alpha, false), D, null);
        HeadRows out = empty();
        k.forward(rows(7, 1), rows(8, 1), rows(9, 1), T, out, 0);
        for (int i = 0; i < D; i++) {
            assertThat((double) out.a()[out.at(T - 1) + i]).isCloseTo(dual[T - 1][i], org.assertj.core.data.Offset.offset(1e-5 * (1 + Math.abs(dual[T - 1][i]))));
        }
    }

    /** α·(αI + KᵀK)⁻¹ → I as α → ∞, so α·LS(q, k, v) → q_tᵀ Σ k_s v_sᵀ: unnormalised identity linear attention. */
    @Test
    void scaledLeastSquaresTendsToIdentityLinearAttention() {
        HeadRows q = rows(10, 1), key = rows(11, 1), v = rows(12, 1);
        HeadRows lin = empty();
        RecurrentAttentionKernel.of(AttentionKind.linear(AttentionKind.FeatureMap.IDENTITY, false), D, null).forward(q, key, v, T, lin, 0);
        double[][] linear = matrix(lin);
        double previous = Double.POSITIVE_INFINITY;
        for (double alpha : new double[] {1e2, 1e3, 1e4, 1e5}) {
            HeadRows ls = empty();
            RecurrentAttentionKernel.of(AttentionKind.leastSquares((float) alpha, false), D, null).forward(q, key, v, T, ls, 0);
            double[][] scaled = matrix(ls);
            for (double[] row : scaled) for (int i = 0; i < D; i++) row[i] *= alpha;
            double err = 0, scale = 0;
            for (int t = 0; t < T; t++) {
                for (int i = 0; i < D; i++) {
                    err = Math.max(err, Math.abs(scaled[t][i] - linear[t][i]));
                    scale = Math.max(scale, Math.abs(linear[t][i]));
                }
            }
            err /= scale;
            // the gap is O(‖KᵀK‖/α): it shrinks ~10× per decade of α
            assertThat(err).as("α = %s", alpha).isLessThan(previous / 5);
            previous = err;
        }
        assertThat(previous).isLessThan(1e-3);
    }

    /** Learned α = exp(ls_log_alpha): gradient steps that push α down keep it positive and finite. */
    @Test
    void learnedAlphaStaysPositiveUnderLargeSteps() {
        GptConfig c = TinyModels.config(GptConfig.Positional.LEARNED, GptConfig.Norm.PRE, GptConfig.Mlp.NONE, true, 1)
                .withAttention(AttentionKind.leastSquares(0.5f, true));
        Gpt m = TinyModels.randomModel(c, 3);
        Tensor logAlpha = m.parameters().get("h.0.attn.ls_log_alpha");
        Tensor grad = m.gradients().get("h.0.attn.ls_log_alpha");
        int[] ids = TinyModels.tokens(1, 2 * 6, c.vocabSize()), targets = TinyModels.tokens(2, 2 * 6, c.vocabSize());
        float[] start = logAlpha.toArray();
        for (int step = 0; step < 20; step++) {
            m.zeroGradients();
            m.forwardBackward(ids, targets, 2, 6);
            for (int h = 0; h < c.nHead(); h++) {
                assertThat(grad.get(h)).as("d loss / d log α").isNotZero();
                // a deliberately huge step of fixed size against the gradient's sign
                logAlpha.set(logAlpha.get(h) - 3f * Math.signum(grad.get(h)), h);
            }
        }
        for (int h = 0; h < c.nHead(); h++) {
            double alpha = Math.exp(logAlpha.get(h));
            assertThat(alpha).isPositive().isFinite();
            assertThat(logAlpha.get(h)).isNotEqualTo(start[h]);
        }
        assertThat(m.loss(ids, targets, 2, 6)).isFinite();
    }

    static double[][] transpose(double[][] a) {
        double[][] t = new double[a[0].length][a.length];
        for (int i = 0; i < a.length; i++) for (int j = 0; j < a[0].length; j++) t[j][i] = a[i][j];
        return t;
    }

    static double[][] plusDiagonal(double[][] a, double alpha) {
        double[][] r = new double[a.length][];
        for (int i = 0; i < a.length; i++) {
            r[i] = a[i].clone();
            r[i][i] += alpha;
        }
        return r;
    }
}
