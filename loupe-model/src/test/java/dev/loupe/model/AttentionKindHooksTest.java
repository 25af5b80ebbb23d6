package dev.loupe.model;

import dev.loupe.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Hooks on linear and least-squares attention: {@code hook_pattern} carries the effective mixing
 * weights A (z = A·V), so the hooked pass equals the fused recurrent pass, and zeroing a head's
 * pattern (head ablation) removes exactly that head's contribution.
 */
class AttentionKindHooksTest {
    static final int B = 2, T = 6;

    @Test
    void hookedPassEqualsRecurrentPassAndPatternIsTheEffectiveMixing() {
        for (GptConfig c : TinyModels.attentionKindVariants()) {
            Gpt m = TinyModels.randomModel(c, 21);
            int[] ids = TinyModels.tokens(4, B * T, c.vocabSize());
            Tensor plain = m.logits(ids, B, T);
            Gpt.CachedRun run = m.runWithCache(ids, B, T, n -> true);
            // the pattern (A·V) against the running sums / inverse updates: equal up to float32 rounding
            assertThat(run.logits().maxAbsDiff(plain)).as(TinyModels.describe(c)).isLessThan(1e-4f);

            Tensor p = run.cache().get("blocks.0.attn.hook_pattern");                 // [B, H, T, T]
            Tensor q = run.cache().get("blocks.0.attn.hook_q"), k = run.cache().get("blocks.0.attn.hook_k");
            int dh = c.dHead();
            double[][] qs = new double[T][dh], ks = new double[T][dh];
            for (int t = 0; t < T; t++) {
                for (int i = 0; i < dh; i++) {
                    qs[t][i] = q.get(1, t, 1, i);
                    ks[t][i] = k.get(1, t, 1, i);
                }
            }
            double[][] want = c.attention().kind() == AttentionKind.Kind.LINEAR
                    ? ReferenceGpt.linearPattern(c.attention(), qs, ks)
                    : leastSquaresPattern(qs, ks, c.attention().lsAlphaLearned()
                            ? Math.exp(m.parameters().get("h.0.attn.ls_log_alpha").get(1)) : c.attention().lsAlpha());
            for (int t = 0; t < T; t++) {
                for (int s = 0; s < T; s++) {
                    assertThat((double) p.get(1, 1, t, s)).as("%s A[%d, %d]", TinyModels.describe(c), t, s)
                            .isCloseTo(want[t][s], org.assertj.core.data.Offset.offset(1e-5 * (1 + Math.abs(want[t][s]))));
                }
            }
        }
    }

    /** A[t, s] = q_tᵀ(αI + Σ_{u≤t} k_u k_uᵀ)⁻¹k_s for s ≤ t, by explicit float64 solves. */
    static double[][] leastSquaresPattern(double[][] q, double[][] k, double alpha) {
        int n = q.length, d = q[0].length;
        double[][] a = new double[n][n];
        for (int t = 0; t < n; t++) {
            double[][] h = new double[d][d], qt = new double[d][1];
            for (int i = 0; i < d; i++) {
                h[i][i] = alpha;
                qt[i][0] = q[t][i];
            }
            for (int u = 0; u <= t; u++) for (int i = 0; i < d; i++) for (int j = 0; j < d; j++) h[i][j] += k[u][i] * k[u][j];
            double[][] w = ReferenceGpt.solve(h, qt);                                 // H_t⁻¹ q_t (H symmetric)
            for (int s = 0; s <= t; s++) {
                double dot = 0;
                for (int i = 0; i < d; i++) dot += w[i][0] * k[s][i];
                a[t][s] = dot;
            }
        }
        return a;
    }

    @Test
    void zeroingAHeadsPatternRemovesThatHeadsContribution() {
        for (GptConfig c : TinyModels.attentionKindVariants()) {
            Gpt m = TinyModels.randomModel(c, 22);
            int[] ids = TinyModels.tokens(5, B * T, c.vocabSize());
            // ablate head 0 of layer 1 through the pattern, and, independently, through z
            Tensor viaPattern, viaZ;
            try (var h = m.hooks().add("blocks.1.attn.hook_pattern", (t, name) -> {
                for (int b = 0; b < B; b++) t.select(0, b).select(0, 0).fill(0f);
                return t;
            })) {
                viaPattern = m.logits(ids, B, T).copy();
            }
            try (var h = m.hooks().add("blocks.1.attn.hook_z", (t, name) -> {
                for (int b = 0; b < B; b++) for (int s = 0; s < T; s++) t.select(0, b).select(0, s).select(0, 0).fill(0f);
                return t;
            })) {
                viaZ = m.logits(ids, B, T).copy();
            }
            Tensor plain = m.logits(ids, B, T);
            assertThat(viaPattern.maxAbsDiff(viaZ)).as(TinyModels.describe(c)).isLessThan(1e-5f);
            assertThat(viaPattern.maxAbsDiff(plain)).as("the head mattered").isGreaterThan(1e-3f);
        }
    }
}
