package dev.loupe.model;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Whole-model gradient checks: the float32 analytic backward of every variant against central
 * finite differences of the independent float64 {@link ReferenceGpt}, for every small tensor's every element and 40 random elements of each larger one.
 *
 * <p>Why this design: finite differences in float32 would be dominated by rounding (loss ~2, ulp
 * ~2e-7, step 1e-3 → error ~1e-4 of a gradient that is itself ~1e-3). In float64 with step 1e-5 the
 * differences are exact to ~1e-10, so the only error left is the float32 rounding of the analytic
 * gradient itself. That error is relative: each gradient entry is a sum of at most a few hundred
 * float32 products through ≤ 2 blocks, each step adding ~1e-7 relative error, so entries are right
 * to ~1e-6 of the largest gradient in their tensor. The tolerance below, 2e-4 of the tensor's largest
 * gradient (plus 1e-7 absolute for tensors whose gradient is ~0), leaves a 100× margin over that, yet
 * any real mistake (a missing term, a wrong sign, a transposed block, a mask off by one) produces
 * errors of the order of the gradient itself.
 */
class GptGradientTest {
    static final int B = 2, T = 5;
    static final double H = 1e-5;

    static List<GptConfig> variants() {
        List<GptConfig> all = new java.util.ArrayList<>(TinyModels.allVariants());
        all.addAll(TinyModels.attentionKindVariants());
        all.addAll(TinyModels.highwayVariants());
        return all;
    }

    @ParameterizedTest(name = "{index}: {0}")
    @MethodSource("variants")
    void analyticGradientEqualsFloat64FiniteDifferences(GptConfig c) {
        Gpt m = TinyModels.randomModel(c, 7);
        int[] ids = TinyModels.tokens(1, B * T, c.vocabSize());
        int[] targets = TinyModels.tokens(2, B * T, c.vocabSize());

        m.zeroGradients();
        float loss = m.forwardBackward(ids, targets, B, T);
        ReferenceGpt ref = new ReferenceGpt(c, m.parameters());
        double refLoss = ref.loss(ids, targets, B, T);
        assertThat((double) loss).as("loss of %s", TinyModels.describe(c)).isCloseTo(refLoss, org.assertj.core.data.Offset.offset(1e-5 * Math.max(1, refLoss)));

        for (Map.Entry<String, double[]> e : ref.w.entrySet()) {
            double[] p = e.getValue();
            float[] g = m.gradients().get(e.getKey()).toArray();
            int[] checked = sample(p.length, e.getKey().hashCode());
            double[] fd = new double[p.length];
            double scale = 0;
            for (int i : checked) {
                double saved = p[i];
                p[i] = saved + H;
                double plus = ref.loss(ids, targets, B, T);
                p[i] = saved - H;
                double minus = ref.loss(ids, targets, B, T);
                p[i] = saved;
                fd[i] = (plus - minus) / (2 * H);
                scale = Math.max(scale, Math.abs(fd[i]));
            }
            double tol = 2e-4 * scale + 1e-7;
            for (int i : checked) {
                if (atKink(ref, p, i, fd[i], tol, ids, targets)) continue;
                assertThat(Math.abs(g[i] - fd[i]))
                        .as("%s: d loss / d %s[%d]: analytic %s, finite difference %s", TinyModels.describe(c), e.getKey(), i, g[i], fd[i])
                        .isLessThanOrEqualTo(tol);
            }
        }
    }

    /**
     * Whether a ReLU kink lies within ±H of p[i], where central differences stop measuring the
     * derivative: then the difference quotient at H/4 disagrees with the one at H. (At a point where
     * the loss is smooth both agree to far below the tolerance; a wrong analytic gradient disagrees
     * with both, so this cannot hide a bug.)
     */
    static boolean atKink(ReferenceGpt ref, double[] p, int i, double fdAtH, double tol, int[] ids, int[] targets) {
        double saved = p[i], h = H / 4;
        p[i] = saved + h;
        double plus = ref.loss(ids, targets, B, T);
        p[i] = saved - h;
        double minus = ref.loss(ids, targets, B, T);
        p[i] = saved;
        return Math.abs((plus - minus) / (2 * h) - fdAtH) > tol;
    }

    /**
     * Which elements of a tensor to check: all of a small one, else {@value #PER_TENSOR} seeded
     * random ones (enough to land in every head's q, k and v blocks; the per-op tests check every element).
     */
    static int[] sample(int n, long seed) {
        if (n <= PER_TENSOR) return java.util.stream.IntStream.range(0, n).toArray();
        return new java.util.SplittableRandom(seed).ints(0, n).distinct().limit(PER_TENSOR).toArray();
    }

    static final int PER_TENSOR = 40;

    @Test
    void forwardBackwardAddsIntoGradients() {
        GptConfig c = TinyModels.config(GptConfig.Positional.LEARNED, GptConfig.Norm.PRE, GptConfig.Mlp.GELU, true, 2);
        Gpt m = TinyModels.randomModel(c, 3);
        int[] ids = TinyModels.tokens(4, B * T, c.vocabSize()), targets = TinyModels.tokens(5, B * T, c.vocabSize());
        m.zeroGradients();
        m.forwardBackward(ids, targets, B, T);
        Map<String, float[]> once = new java.util.LinkedHashMap<>();
        m.gradients().forEach((k, v) -> once.put(k, v.toArray()));
        m.forwardBackward(ids, targets, B, T);
        m.gradients().forEach((k, v) -> {
            float[] twice = v.toArray(), one = once.get(k);
            for (int i = 0; i < one.length; i++) {
                assertThat(twice[i]).as(k).isCloseTo(2 * one[i], org.assertj.core.data.Offset.offset(1e-6f * (1 + Math.abs(one[i]))));
            }
        });
        m.zeroGradients();
        m.gradients().values().forEach(t -> assertThat(dev.loupe.tensor.ops.Ops.sumOfSquares(t)).isZero());
    }
}
