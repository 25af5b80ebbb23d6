package dev.loupe.analysis.decomposition;

import dev.loupe.analysis.interventions.ActivationPatching;
import dev.loupe.analysis.interventions.Patching;
import dev.loupe.analysis.interventions.TestModels;
import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.model.HighwaySettings;
import dev.loupe.model.HookPoints;
import dev.loupe.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.EnumSet;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The path decomposition of highway-gated models ({@link HighwayPaths} inside
 * {@link ResidualDecomposition}): with the run's gates held fixed the gated terms sum to the final
 * residual, the embedding's factor is the product of every carry gate, shares add up, and DLA,
 * the logit lens and activation patching give the model's own numbers.
 */
class HighwayDecompositionTest {
    private static final int T = 7;

    static List<HighwaySettings> settings() {
        var both = EnumSet.allOf(HighwaySettings.Sublayer.class);
        return List.of(new HighwaySettings(both, HighwaySettings.Gate.VECTOR, HighwaySettings.Mode.HIGHWAY, 0f),
                new HighwaySettings(both, HighwaySettings.Gate.SCALAR, HighwaySettings.Mode.HIGHWAY, 0f),
                new HighwaySettings(both, HighwaySettings.Gate.VECTOR, HighwaySettings.Mode.GATED_RESIDUAL, 0f),
                new HighwaySettings(EnumSet.of(HighwaySettings.Sublayer.MLP), HighwaySettings.Gate.SCALAR,
                        HighwaySettings.Mode.HIGHWAY, 0f));
    }

    static Gpt model(HighwaySettings h, long seed) {
        return TestModels.of(new GptConfig(13, 16, 12, 3, 3, 20, 1e-5f, false, GptConfig.Norm.PRE, GptConfig.Mlp.GELU,
                GptConfig.Positional.LEARNED).withHighway(h), seed);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("settings")
    void gatedTermsSumToTheFinalResidualAndDlaToTheLogit(HighwaySettings h) {
        Gpt gpt = model(h, 31);
        ResidualDecomposition rd = ResidualDecomposition.compute(gpt, TestModels.tokens(4, T, 13));
        assertThat(rd.components()).hasSize(2 + 9 + 3 + 1);
        float scale = 0;
        for (float v : rd.residual().toArray()) scale = Math.max(scale, Math.abs(v));
        // float32: the pass rounds each of 6 gated combinations and the terms are O(1): a few ulps of the stream
        assertThat(rd.sum().maxAbsDiff(rd.residual())).isLessThan(1e-6f * 16 * Math.max(1, scale));

        // the plain (ungated) sum is not the residual: the factors matter
        Gpt.CachedRun run = gpt.runWithCache(TestModels.tokens(4, T, 13), 1, T, n -> n.endsWith("hook_mlp_out"));
        Tensor raw = run.cache().get(HookPoints.name(0, "hook_mlp_out")).reshape(T, 12);
        ResidualDecomposition.Component mlp0 = rd.components().get(2 + 3);
        assertThat(mlp0.label()).isEqualTo("L0MLP");
        assertThat(mlp0.value().maxAbsDiff(raw)).isGreaterThan(1e-2f);

        for (int pos : new int[] {0, T - 1}) {
            for (int token : new int[] {1, 9}) {
                double sum = rd.lnBiasTerm(token);
                for (double a : rd.directLogitAttribution(pos, token)) sum += a;
                assertThat(sum).isCloseTo(rd.logits().get(pos, token), within(1e-4));
            }
        }
    }

    /** Both variants at once: a gated mixture-of-experts layer gives each expert a term scaled by the MLP's path factor. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("settings")
    void gatedExpertTermsSumToTheFinalResidual(HighwaySettings h) {
        GptConfig c = new GptConfig(13, 16, 12, 3, 3, 20, 1e-5f, false, GptConfig.Norm.PRE, GptConfig.Mlp.GELU,
                GptConfig.Positional.LEARNED).withHighway(h)
                .withMoe(new dev.loupe.model.MoeSettings(4, 2, 10, null, 0.01f, 0.001f, null, List.of(0, 2)));
        Gpt gpt = TestModels.of(c, 33);
        ResidualDecomposition rd = ResidualDecomposition.compute(gpt, TestModels.tokens(6, T, 13));
        assertThat(rd.components()).hasSize(2 + 9 + 4 + 1 + 4 + 1);   // embeds, heads, L0 experts, L1 MLP, L2 experts, bias
        assertThat(rd.components().stream().map(ResidualDecomposition.Component::label)).contains("L0E3", "L1MLP", "L2E0");
        float scale = 0;
        for (float v : rd.residual().toArray()) scale = Math.max(scale, Math.abs(v));
        assertThat(rd.sum().maxAbsDiff(rd.residual())).isLessThan(1e-6f * 16 * Math.max(1, scale));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("settings")
    void sharesAddUpAndTheEmbeddingIsCarriedByEveryCarryGate(HighwaySettings h) {
        Gpt gpt = model(h, 32);
        int[] ids = TestModels.tokens(5, T, 13);
        HighwayPaths p = ResidualDecomposition.compute(gpt, ids).paths();
        assertThat(p.sublayers()).hasSize(6);
        for (int s = 0; s < 6; s++) {
            for (int i = 0; i < T; i++) {
                assertThat(p.transformShare()[s][i] + p.carryShare()[s][i]).isCloseTo(1.0, within(1e-5));
                double g = p.meanGate()[s][i];
                if (p.sublayers().get(s).gated()) assertThat(g).isStrictlyBetween(0.0, 1.0);
                else assertThat(g).isEqualTo(1.0);
            }
        }
        for (int i = 0; i < T; i++) {
            double total = p.embedFinalShare()[i];
            for (int s = 0; s < 6; s++) total += p.finalShare()[s][i];
            assertThat(total).isCloseTo(1.0, within(1e-5));
        }
        // the embedding's factor, recomputed from the cached gates: Π_s (1 − T_s) (highway), 1 (gated residual)
        var cache = gpt.runWithCache(ids, 1, T, n -> n.contains("_gate")).cache();
        for (int i = 0; i < T; i++) {
            for (int j : new int[] {0, 5, 11}) {
                double expected = 1;
                for (int l = 0; l < 3; l++) {
                    for (String g : new String[] {"hook_attn_gate", "hook_mlp_gate"}) {
                        if (!cache.has(HookPoints.name(l, g)) || h.mode() != HighwaySettings.Mode.HIGHWAY) continue;
                        Tensor t = cache.get(HookPoints.name(l, g));
                        expected *= 1 - t.get(0, i, t.dim(2) == 1 ? 0 : j);
                    }
                }
                assertThat((double) p.embedFactor().get(i, j)).isCloseTo(expected, within(1e-6));
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("settings")
    void logitLensAndActivationPatchingRunOnTheGatedModel(HighwaySettings h) {
        Gpt gpt = model(h, 33);
        int[] clean = TestModels.tokens(6, T, 13), corrupted = clean.clone();
        corrupted[2] = (clean[2] + 5) % 13;
        LogitLens lens = LogitLens.compute(gpt, clean);
        assertThat(lens.logits(3).maxAbsDiff(gpt.logits(clean, 1, T).reshape(T, 13))).isZero();

        var metric = Patching.logitDifference(T - 1, 3, 8);
        ActivationPatching.Result r = ActivationPatching.run(gpt, clean, corrupted, metric, s -> {});
        assertThat(r.clean()).isNotCloseTo(r.corrupted(), within(1e-3));
        // the only changed token is at position 2: patching the stream entering block 0 there restores the clean run
        assertThat(r.byPosition().get("resid_pre")[0][2]).isCloseTo(1.0, within(1e-4));
        assertThat(r.byPosition().get("resid_pre")[0][4]).isCloseTo(0.0, within(1e-4));
    }
}
