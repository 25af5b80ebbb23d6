package dev.loupe.analysis.decomposition;

import dev.loupe.LoupeException;
import dev.loupe.analysis.interventions.TestModels;
import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.model.HookPoints;
import dev.loupe.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class DecompositionTest {
    private static final int T = 7;

    @Test
    void theComponentsSumToTheFinalResidual() {
        for (GptConfig.Mlp mlp : new GptConfig.Mlp[] {GptConfig.Mlp.GELU, GptConfig.Mlp.NONE, GptConfig.Mlp.SWIGLU}) {
            Gpt gpt = TestModels.random(GptConfig.Norm.PRE, mlp, 21);
            ResidualDecomposition rd = ResidualDecomposition.compute(gpt, TestModels.tokens(4, T, 13));
            int heads = 3 * 3, mlps = mlp == GptConfig.Mlp.NONE ? 0 : 3;
            assertThat(rd.components()).hasSize(2 + heads + mlps + 1);
            assertThat(rd.components().get(2).label()).isEqualTo("L0H0");
            // float32 rounding: each of ~10 additions of O(1)–O(10) terms rounds by ≤ 2^-24 relative
            float scale = 0;
            for (float v : rd.residual().toArray()) scale = Math.max(scale, Math.abs(v));
            assertThat(rd.sum().maxAbsDiff(rd.residual())).as(mlp.name()).isLessThan(1e-6f * 16 * Math.max(1, scale));
            // and the decomposition is not trivially so: no single term is the residual
            for (ResidualDecomposition.Component c : rd.components()) assertThat(c.value().maxAbsDiff(rd.residual())).isGreaterThan(1e-3f);
        }
    }

    @Test
    void directLogitAttributionsAddUpToTheLogit() {
        Gpt gpt = TestModels.random(GptConfig.Norm.PRE, GptConfig.Mlp.GELU, 22);
        ResidualDecomposition rd = ResidualDecomposition.compute(gpt, TestModels.tokens(5, T, 13));
        for (int pos : new int[] {0, 3, T - 1}) {
            for (int token : new int[] {0, 6, 12}) {
                double sum = rd.lnBiasTerm(token);
                for (double a : rd.directLogitAttribution(pos, token)) sum += a;
                assertThat(sum).isCloseTo(rd.logits().get(pos, token), within(1e-4));
            }
        }
        double[] diff = rd.directLogitAttribution(T - 1, 6, 2);
        double[] a = rd.directLogitAttribution(T - 1, 6), b = rd.directLogitAttribution(T - 1, 2);
        assertThat(diff[4]).isCloseTo(a[4] - b[4], within(1e-9));
        double[][] grid = rd.perHead(a);
        assertThat(grid[1][2]).isEqualTo(a[2 + 3 + 1 + 2]);           // embed, pos, L0H0-2, L0MLP, L1H0, L1H1, L1H2
        assertThat(rd.components().get(2 + 3 + 1 + 2).label()).isEqualTo("L1H2");
    }

    @Test
    void postLnModelsAreRejected() {
        Gpt gpt = TestModels.random(GptConfig.Norm.POST, GptConfig.Mlp.GELU, 23);
        assertThatThrownBy(() -> ResidualDecomposition.compute(gpt, TestModels.tokens(5, T, 13)))
                .isInstanceOf(LoupeException.class).hasMessageContaining("pre-LN");
    }

    @Test
    void theLogitLensDecodesEachLayersStreamAsIfItWereTheLast() {
        Gpt gpt = TestModels.random(GptConfig.Norm.PRE, GptConfig.Mlp.GELU, 24);
        int[] ids = TestModels.tokens(6, T, 13);
        LogitLens lens = LogitLens.compute(gpt, ids);
        assertThat(lens.layers()).isEqualTo(4);
        assertThat(lens.logits(3).maxAbsDiff(gpt.logits(ids, 1, T).reshape(T, 13))).isZero();
        // the stream after block 0, put where the last block's output goes, gives lens layer 1
        Tensor after0 = gpt.runWithCache(ids, 1, T, n -> n.equals(HookPoints.name(0, "hook_resid_post"))).cache()
                .get(HookPoints.name(0, "hook_resid_post"));
        try (var h = gpt.hooks().add(HookPoints.name(2, "hook_resid_post"), (x, n) -> after0)) {
            assertThat(lens.logits(1).maxAbsDiff(gpt.logits(ids, 1, T).reshape(T, 13))).isZero();
        }
        assertThat(lens.logits(0).maxAbsDiff(lens.logits(1))).isGreaterThan(1e-3f);
        List<LogitLens.Guess> top = lens.top(2, 4, 5);
        assertThat(top).hasSize(5);
        for (int i = 1; i < 5; i++) assertThat(top.get(i).probability()).isLessThanOrEqualTo(top.get(i - 1).probability());
        int argmax = 0;
        Tensor row = lens.logits(2).select(0, 4);
        for (int v = 1; v < 13; v++) if (row.get(v) > row.get(argmax)) argmax = v;
        assertThat(top.get(0).token()).isEqualTo(argmax);
    }
}
