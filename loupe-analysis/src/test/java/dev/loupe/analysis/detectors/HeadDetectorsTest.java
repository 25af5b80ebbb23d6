package dev.loupe.analysis.detectors;

import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class HeadDetectorsTest {
    /** float32 patterns summed in double over a few dozen entries: exact to ~1e-6. */
    private static final double EPS = 1e-6;

    /** Pattern [1, 3, T, T] on the repeated sequence [r r], half n: head 0 previous-token, head 1 induction, head 2 duplicate. */
    private static Tensor handBuilt(int n) {
        int t = 2 * n;
        Tensor p = Tensor.zeros(1, 3, t, t);
        for (int i = 0; i < t; i++) {
            p.set(1f, 0, 0, i, Math.max(0, i - 1));                  // previous token (position 0 attends to itself)
            p.set(1f, 0, 1, i, i >= n ? i - n + 1 : 0);              // induction: the token after the earlier occurrence
            p.set(1f, 0, 2, i, i >= n ? i - n : i);                  // duplicate: the earlier occurrence itself
        }
        return p;
    }

    @Test
    void handBuiltHeadsScoreOneOnTheirOwnDetectorAndLowOnTheOthers() {
        int n = 8;
        int[] ids = RepeatedTokens.generate(1, n, 0, 1000, 3); // 8 distinct-enough tokens out of 1000
        for (int i = 0; i < n; i++) for (int j = 0; j < i; j++) assertThat(ids[i]).isNotEqualTo(ids[j]);
        Tensor p = handBuilt(n);

        double[] prev = AttentionScores.previousToken(p), ind = AttentionScores.induction(p, ids),
                dup = AttentionScores.duplicateToken(p, ids);
        assertThat(prev[0]).isCloseTo(1.0, within(EPS));
        assertThat(ind[1]).isCloseTo(1.0, within(EPS));
        assertThat(dup[2]).isCloseTo(1.0, within(EPS));
        // the induction head attends to i - n + 1, which is the previous token only at i = n: 1 of 15 queries
        assertThat(prev[1]).isCloseTo(1.0 / 15, within(EPS));
        assertThat(ind[0]).isCloseTo(0.0, within(EPS)); // n ≥ 3: i − 1 is never i − n + 1 in the second half
        assertThat(ind[2]).isCloseTo(0.0, within(EPS));
        assertThat(dup[1]).isCloseTo(0.0, within(EPS));
    }

    @Test
    void uniformAttentionScoresItsShareOnEachTarget() {
        // causal uniform attention: row i puts 1/(i+1) on each key ≤ i
        int n = 5, t = 2 * n;
        Tensor p = Tensor.zeros(1, 1, t, t);
        for (int i = 0; i < t; i++) for (int j = 0; j <= i; j++) p.set(1f / (i + 1), 0, 0, i, j);
        int[] ids = {1, 2, 3, 4, 5, 1, 2, 3, 4, 5};
        double expectedPrev = 0, expectedInd = 0;
        for (int i = 1; i < t; i++) expectedPrev += 1.0 / (i + 1);
        for (int i = n; i < t; i++) expectedInd += 1.0 / (i + 1);
        assertThat(AttentionScores.previousToken(p)[0]).isCloseTo(expectedPrev / (t - 1), within(EPS));
        assertThat(AttentionScores.induction(p, ids)[0]).isCloseTo(expectedInd / n, within(EPS));
        assertThat(AttentionScores.duplicateToken(p, ids)[0]).isCloseTo(expectedInd / n, within(EPS));
    }

    @Test
    void tokensWithoutEarlierOccurrenceDoNotCount() {
        Tensor p = Tensor.zeros(1, 1, 4, 4);
        for (int i = 0; i < 4; i++) p.set(1f, 0, 0, i, 0);
        int[] distinct = {1, 2, 3, 4};
        assertThat(AttentionScores.induction(p, distinct)[0]).isZero();
        assertThat(AttentionScores.duplicateToken(p, distinct)[0]).isZero();
        // A B A: the second A's earlier occurrence is 0, the token after it is 1
        int[] aba = {7, 8, 7, 9};
        Tensor q = Tensor.zeros(1, 1, 4, 4);
        q.set(1f, 0, 0, 2, 1);
        q.set(1f, 0, 0, 0, 0); q.set(1f, 0, 0, 1, 0); q.set(1f, 0, 0, 3, 0);
        assertThat(AttentionScores.induction(q, aba)[0]).isCloseTo(1.0, within(EPS));
        assertThat(AttentionScores.duplicateToken(q, aba)[0]).isCloseTo(0.0, within(EPS));
    }

    @Test
    void repeatedTokensRepeatEachRowOnce() {
        int[] ids = RepeatedTokens.generate(3, 6, 1, 50, 9);
        assertThat(ids).hasSize(36);
        for (int b = 0; b < 3; b++) for (int i = 0; i < 6; i++) {
            assertThat(ids[b * 12 + i]).isBetween(1, 49).isEqualTo(ids[b * 12 + 6 + i]);
        }
        assertThat(RepeatedTokens.generate(3, 6, 1, 50, 9)).isEqualTo(ids);
    }

    /**
     * A 2-layer attention-only model whose attention is set by hand through its weights: with
     * W_Q = W_K = 0 every head attends uniformly, so each score must equal the uniform-attention
     * value computed from the ids — checks that the model-level detector reads the right hook and
     * layer/head layout.
     */
    @Test
    void modelLevelScoresOfUniformHeads() {
        GptConfig c = new GptConfig(20, 16, 8, 2, 2, 0, 1e-5f, false, GptConfig.Norm.PRE, GptConfig.Mlp.NONE,
                GptConfig.Positional.LEARNED);
        Gpt gpt = Gpt.create(c, 5);
        for (var e : gpt.parameters().entrySet()) {
            if (e.getKey().contains("c_attn")) e.getValue().fill(0f); // Q = K = V = 0: uniform causal attention
        }
        HeadScores s = HeadDetectors.onRepeatedTokens(gpt, 2, 6, 0, 4);
        int[] ids = RepeatedTokens.generate(2, 6, 0, 20, 4);
        int t = 12;
        Tensor uniform = Tensor.zeros(2, 1, t, t);
        for (int b = 0; b < 2; b++) for (int i = 0; i < t; i++) for (int j = 0; j <= i; j++) uniform.set(1f / (i + 1), b, 0, i, j);
        double ind = AttentionScores.induction(uniform, ids)[0], prev = AttentionScores.previousToken(uniform)[0];
        assertThat(s.layers()).isEqualTo(2);
        assertThat(s.heads()).isEqualTo(2);
        for (int l = 0; l < 2; l++) for (int h = 0; h < 2; h++) {
            assertThat(s.induction()[l][h]).isCloseTo(ind, within(1e-5));
            assertThat(s.previousToken()[l][h]).isCloseTo(prev, within(1e-5));
        }
    }

    /**
     * Layer 1's attention reads only its own weights when layer 0 writes nothing that changes its
     * queries and keys: with layer 1's W_Q = W_K = 0 its pattern is uniform whatever layer 0 does,
     * so ablating any layer-0 head leaves its induction score unchanged; and the ablation hooks are
     * gone afterwards.
     */
    @Test
    void inductionSourceAblatesEachEarlierHeadAndDetachesItsHooks() {
        GptConfig c = new GptConfig(20, 16, 8, 2, 2, 0, 1e-5f, false, GptConfig.Norm.PRE, GptConfig.Mlp.NONE,
                GptConfig.Positional.LEARNED);
        Gpt gpt = Gpt.create(c, 6);
        Tensor qkv = gpt.parameters().get("h.1.attn.c_attn.weight"); // [d, 3d]: Q | K | V
        qkv.slice(1, 0, 16).fill(0f);
        gpt.parameters().get("h.1.attn.c_attn.bias").slice(0, 0, 16).fill(0f);
        InductionSource s = InductionSource.measure(gpt, 1, 1, 4, 6, 3);
        assertThat(s.ablated()).hasDimensions(1, 2);
        for (double a : s.ablated()[0]) assertThat(a).isCloseTo(s.baseline(), within(1e-6));
        assertThat(gpt.hooks().isEmpty()).isTrue();
        assertThat(HeadDetectors.onRepeatedTokens(gpt, 4, 6, 0, 3).induction()[1][1]).isCloseTo(s.baseline(), within(1e-9));

        // one progress line per ablated head, same numbers
        java.util.List<String> lines = new java.util.ArrayList<>();
        InductionSource withProgress = InductionSource.measure(gpt, 1, 1, 4, 6, 3, lines::add);
        assertThat(lines).containsExactly("ablating head L0H0 (1 of 2)", "ablating head L0H1 (2 of 2)");
        assertThat(withProgress.ablated()[0]).containsExactly(s.ablated()[0]);
    }

    @Test
    void iclPositionsFollowThePaperOrScaleToTheContext() {
        assertThat(IclScore.positions(1024)).containsExactly(50, 500);
        assertThat(IclScore.positions(64)).containsExactly(6, 63);
    }
}
