package dev.loupe.analysis.moe;

import dev.loupe.analysis.stats.TopExample;
import dev.loupe.model.ActivationCache;
import dev.loupe.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** Every diagnostic on synthetic routing whose figures are worked out by hand in the comments. */
class LayerDiagnosticsTest {
    private static final double EPS = 1e-6;
    private static final float NEG = -1e4f;
    private static final float LN2 = (float) Math.log(2);

    /**
     * 4 tokens, E = 3, top-2; expert 2 is never kept.
     * <pre>
     *   R = [0.75 0.25 0]     logits: t0, t1 uniform (p = 1/3 each, H = ln 3)
     *       [0.5  0.5  0]             t2, t3 = [ln 2, 0, 0] (p = ½, ¼, ¼, H = 1.5·ln 2)
     *       [0.6  0.4  0]
     *       [0.1  0.9  0]
     * </pre>
     */
    static LayerRouting example() {
        float[] logits = {0, 0, 0, 0, 0, 0, LN2, 0, 0, LN2, 0, 0};
        int[] indices = {0, 1, 1, 0, 0, 1, 1, 0};
        float[] weights = {0.75f, 0.25f, 0.5f, 0.5f, 0.6f, 0.4f, 0.9f, 0.1f};
        return new LayerRouting(3, 3, logits, indices, weights);
    }

    @Test
    void routingMatrixHoldsTheKeptWeightsAndZerosElsewhere() {
        double[][] r = example().matrix();
        assertThat(r[0]).containsExactly(new double[] {0.75, 0.25, 0}, within(EPS));
        assertThat(r[3]).containsExactly(new double[] {0.1, 0.9, 0}, within(EPS));
        assertThat(example().topK()).isEqualTo(2);
        assertThat(example().tokens()).isEqualTo(4);
    }

    @Test
    void gramIsRTransposeRAndItsNormalisedFormIsTheCosine() {
        LayerDiagnostics d = diagnostics(example(), 2, 1);
        double[][] g = d.gram();
        // G00 = .75² + .5² + .6² + .1² ; G11 = .25² + .5² + .4² + .9² ; G01 = .75·.25 + .5·.5 + .6·.4 + .1·.9
        assertThat(g[0][0]).isCloseTo(1.1825, within(EPS));
        assertThat(g[1][1]).isCloseTo(1.2825, within(EPS));
        assertThat(g[0][1]).isCloseTo(0.7675, within(EPS));
        assertThat(g[1][0]).isCloseTo(0.7675, within(EPS));
        assertThat(g[2]).containsOnly(0.0);
        double[][] c = d.cosine();
        assertThat(c[0][0]).isCloseTo(1, within(EPS));
        assertThat(c[0][1]).isCloseTo(0.7675 / Math.sqrt(1.1825 * 1.2825), within(EPS));
        assertThat(c[2]).containsOnly(0.0);   // a dead expert has no direction
    }

    @Test
    void loadCountsCoefficientOfVariationDeadExpertsEntropyAndBalance() {
        LayerDiagnostics d = diagnostics(example(), 2, 1);
        assertThat(d.counts()).containsExactly(4, 4, 0);
        assertThat(d.weightSums()).containsExactly(new double[] {1.95, 2.05, 0}, within(EPS));
        // mean 8/3, population variance ((4/3)²·2 + (8/3)²)/3 = 32/9: CV = √(32/9) / (8/3) = 1/√2
        assertThat(d.loadCv()).isCloseTo(1 / Math.sqrt(2), within(EPS));
        assertThat(d.deadExperts()).containsExactly(2);
        assertThat(d.entropy()).isCloseTo((2 * Math.log(3) + 2 * 1.5 * Math.log(2)) / 4, within(1e-5));
        // f = (½, ½, 0); P = (5/12, 7/24, 7/24): 3·(½·5/12 + ½·7/24) = 17/16
        assertThat(d.balance()).isCloseTo(17.0 / 16, within(1e-5));
        assertThat(d.tokens()).isEqualTo(4);
    }

    @Test
    void topTokensOfAnExpertAreItsHighestWeightsWithTheirContext() {
        LayerDiagnostics d = diagnostics(example(), 2, 1);
        List<TopExample> top = d.topTokens(0);
        assertThat(top).extracting(TopExample::position).containsExactly(100L, 102L);   // weights .75 and .6
        assertThat(top.get(0).value()).isEqualTo(0.75f);
        assertThat(top.get(1).tokens()).containsExactly(11, 12);                          // one token of context before
        assertThat(top.get(1).values()).containsExactly(0.5f, 0.6f);
        assertThat(top.get(1).contextStart()).isEqualTo(101);
        assertThat(d.topTokens(2)).isEmpty();
    }

    @Test
    void collapsedTopOneRoutingHasCvRootEMinusOneAndBalancedRoutingZero() {
        int t = 8, e = 4;
        float[] logits = new float[t * e];
        int[] one = new int[t], spread = new int[t];
        float[] w = new float[t];
        for (int i = 0; i < t; i++) {
            logits[i * e] = 0;
            for (int j = 1; j < e; j++) logits[i * e + j] = NEG;
            spread[i] = i % e;
            w[i] = 1;
        }
        LayerDiagnostics collapsed = diagnostics(new LayerRouting(0, e, logits, one, w), 0, 0);
        assertThat(collapsed.loadCv()).isCloseTo(Math.sqrt(e - 1), within(EPS));
        assertThat(collapsed.deadExperts()).containsExactly(1, 2, 3);
        assertThat(collapsed.entropy()).isCloseTo(0, within(1e-6));
        assertThat(collapsed.balance()).isCloseTo(e, within(1e-5));          // all slots and all probability on expert 0
        double[][] g = collapsed.gram();
        assertThat(g[0][0]).isEqualTo(t);                                     // top-1: G is diagonal, G_ee = count
        LayerDiagnostics balanced = diagnostics(new LayerRouting(0, e, new float[t * e], spread, w), 0, 0);
        assertThat(balanced.loadCv()).isZero();
        assertThat(balanced.deadExperts()).isEmpty();
        assertThat(balanced.entropy()).isCloseTo(Math.log(e), within(1e-9));
        assertThat(balanced.balance()).isCloseTo(1, within(1e-9));
        assertThat(balanced.gram()[0][1]).isZero();
    }

    @Test
    void addingTwoHalvesEqualsAddingTheWhole() {
        LayerRouting r = example();
        LayerRouting a = new LayerRouting(3, 3, java.util.Arrays.copyOfRange(r.logits(), 0, 6), java.util.Arrays.copyOfRange(r.indices(), 0, 4),
                java.util.Arrays.copyOfRange(r.weights(), 0, 4));
        LayerRouting b = new LayerRouting(3, 3, java.util.Arrays.copyOfRange(r.logits(), 6, 12), java.util.Arrays.copyOfRange(r.indices(), 4, 8),
                java.util.Arrays.copyOfRange(r.weights(), 4, 8));
        LayerDiagnostics parts = new LayerDiagnostics(3, 3, 2, 1);
        parts.add(a, new int[] {10, 11}, 100);
        parts.add(b, new int[] {12, 13}, 102);
        LayerDiagnostics whole = diagnostics(r, 2, 1);
        assertThat(parts.gram()).isDeepEqualTo(whole.gram());
        assertThat(parts.counts()).containsExactly(whole.counts());
        assertThat(parts.entropy()).isCloseTo(whole.entropy(), within(1e-12));
        assertThat(parts.topTokens(0)).extracting(TopExample::position).containsExactly(100L, 102L);
    }

    @Test
    void readsTheRouterHooksFromACacheAndRefusesNonIntegerIndices() {
        ActivationCache cache = new ActivationCache();
        String[] n = LayerRouting.hookNames(1);
        cache.apply(Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 1, 2, 3), n[0]);   // [B=1, T=2, E=3]
        cache.apply(Tensor.of(new float[] {1, 1}, 1, 2, 1), n[1]);
        cache.apply(Tensor.of(new float[] {2, 0}, 1, 2, 1), n[2]);
        LayerRouting r = LayerRouting.fromCache(cache, 1);
        assertThat(r.experts()).isEqualTo(3);
        assertThat(r.indices()).containsExactly(2, 0);
        assertThat(r.matrix()[0]).containsExactly(0, 0, 1);
        cache.apply(Tensor.of(new float[] {1.5f, 0}, 1, 2, 1), n[2]);
        assertThatThrownBy(() -> LayerRouting.fromCache(cache, 1)).hasMessageContaining("not an expert index");
        assertThatThrownBy(() -> new LayerRouting(0, 3, new float[6], new int[] {3, 0}, new float[2])).hasMessageContaining("not in [0, 3)");
    }

    private static LayerDiagnostics diagnostics(LayerRouting r, int keep, int before) {
        LayerDiagnostics d = new LayerDiagnostics(r.layer(), r.experts(), keep, before);
        int[] ids = new int[r.tokens()];
        for (int i = 0; i < ids.length; i++) ids[i] = 10 + i;
        d.add(r, ids, 100);
        return d;
    }
}
