package dev.loupe.analysis.moe;

import dev.loupe.LoupeException;
import dev.loupe.analysis.circuits.FactoredMatrix;
import dev.loupe.analysis.circuits.MlpLinearisation;
import dev.loupe.analysis.circuits.VirtualWeights;
import dev.loupe.analysis.decomposition.ResidualDecomposition;
import dev.loupe.analysis.interventions.Component;
import dev.loupe.analysis.interventions.ExpertIntervention;
import dev.loupe.analysis.interventions.Intervention;
import dev.loupe.analysis.interventions.TestModels;
import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.model.Hooks;
import dev.loupe.model.MixtureOfExperts;
import dev.loupe.model.MoeSettings;
import dev.loupe.model.Routing;
import dev.loupe.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** Circuits tools on mixture-of-experts models: per-expert residual terms and DLA, expert interventions, per-expert linearisation. */
class MoeCircuitsTest {
    static final int T = 7;

    /** 3 layers, d_model 12; layers 0 and 2 are mixtures of 4 experts (top-2, d_e 10), layer 1 dense. */
    static Gpt model(GptConfig.Mlp mlp, long seed) {
        GptConfig c = new GptConfig(13, 16, 12, 3, 3, 20, 1e-5f, false, GptConfig.Norm.PRE, mlp, GptConfig.Positional.LEARNED)
                .withMoe(new MoeSettings(4, 2, 10, MoeSettings.Router.SOFTMAX_TOPK, 0.01f, 0.001f, null, List.of(0, 2)));
        return TestModels.of(c, seed);
    }

    @Test
    void eachExpertHasItsOwnResidualTermAndTheTermsSumToTheResidualAndTheMlpOutput() {
        for (GptConfig.Mlp mlp : new GptConfig.Mlp[] {GptConfig.Mlp.GELU, GptConfig.Mlp.SWIGLU}) {
            Gpt gpt = model(mlp, 31);
            int[] ids = TestModels.tokens(4, T, 13);
            ResidualDecomposition rd = ResidualDecomposition.compute(gpt, ids);
            List<String> labels = rd.components().stream().map(ResidualDecomposition.Component::label).toList();
            assertThat(labels).contains("L0E0", "L0E3", "L1MLP", "L2E2").doesNotContain("L0MLP", "L2MLP");
            assertThat(rd.components()).hasSize(2 + 9 + 4 + 1 + 4 + 1);
            float scale = 0;
            for (float v : rd.residual().toArray()) scale = Math.max(scale, Math.abs(v));
            assertThat(rd.sum().maxAbsDiff(rd.residual())).as(mlp.name()).isLessThan(1e-6f * 32 * Math.max(1, scale));
            // the experts of layer 0 add up to its hook_mlp_out (the dispatch identity, read off the pass)
            Tensor mlpOut = gpt.runWithCache(ids, 1, T, n -> n.equals("blocks.0.hook_mlp_out")).cache().get("blocks.0.hook_mlp_out").reshape(T, 12);
            Tensor experts = Tensor.zeros(T, 12);
            for (ResidualDecomposition.Component c : rd.components()) {
                if (c.kind() == ResidualDecomposition.Kind.EXPERT && c.layer() == 0) dev.loupe.tensor.ops.Ops.add(experts, c.value(), experts);
            }
            assertThat(experts.maxAbsDiff(mlpOut)).isLessThan(1e-5f);
            // each position has k = 2 experts with a non-zero term in layer 0
            for (int t = 0; t < T; t++) {
                int nonZero = 0;
                for (ResidualDecomposition.Component c : rd.components()) {
                    if (c.kind() != ResidualDecomposition.Kind.EXPERT || c.layer() != 0) continue;
                    double norm = 0;
                    for (int j = 0; j < 12; j++) norm += Math.abs(c.value().get(t, j));
                    if (norm > 0) nonZero++;
                }
                assertThat(nonZero).isEqualTo(2);
            }
            // per-expert direct logit attributions add up to the logit
            double sum = rd.lnBiasTerm(5);
            for (double a : rd.directLogitAttribution(T - 1, 5)) sum += a;
            assertThat(sum).isCloseTo(rd.logits().get(T - 1, 5), within(1e-4));
        }
    }

    /** Zeroing expert e removes exactly its residual term: layer l's output drops by diag(R[:, e])·Expert_e(u). */
    @Test
    void zeroingAnExpertRemovesExactlyItsTerm() {
        Gpt gpt = model(GptConfig.Mlp.GELU, 32);
        int[] ids = TestModels.tokens(5, T, 13);
        ResidualDecomposition rd = ResidualDecomposition.compute(gpt, ids);
        Tensor before = cachedMlpOut(gpt, ids, List.of());
        for (int e = 0; e < 4; e++) {
            final int expert = e;
            Tensor term = rd.components().stream().filter(c -> c.label().equals("L2E" + expert)).findFirst().orElseThrow().value();
            Tensor after = cachedMlpOut(gpt, ids, ExpertIntervention.zero(gpt.config(), 2, e));
            Tensor expected = Tensor.zeros(T, 12);
            for (int t = 0; t < T; t++) for (int j = 0; j < 12; j++) expected.set(before.get(t, j) - term.get(t, j), t, j);
            assertThat(after.maxAbsDiff(expected)).as("expert %d", e).isLessThan(1e-5f);
        }
        // the parsed component does the same, and ablating every expert leaves nothing
        List<Intervention> all = new ArrayList<>();
        for (int e = 0; e < 4; e++) all.addAll(Component.parse("L2E" + e).checkIn(gpt.config()).ablation(gpt.config(), null));
        assertThat(dev.loupe.tensor.ops.Ops.maxAbs(cachedMlpOut(gpt, ids, all))).isZero();
    }

    @Test
    void forcingAnExpertMakesTheLayerThatExpert() {
        Gpt gpt = model(GptConfig.Mlp.RELU, 33);
        int[] ids = TestModels.tokens(6, T, 13);
        List<Intervention> force = ExpertIntervention.force(gpt.config(), 2, 1);
        List<Hooks.Handle> handles = new ArrayList<>();
        for (Intervention i : force) handles.add(gpt.hooks().add(i.hookName(), i.hook()));
        Gpt.CachedRun run;
        try {
            run = gpt.runWithCache(ids, 1, T, n -> n.equals("blocks.2.hook_mlp_out") || n.equals("blocks.2.ln2.hook_normalized"));
        } finally {
            handles.forEach(Hooks.Handle::close);
        }
        Tensor u = run.cache().get("blocks.2.ln2.hook_normalized").reshape(T, 12);
        assertThat(run.cache().get("blocks.2.hook_mlp_out").reshape(T, 12).maxAbsDiff(gpt.mixture(2).expertOutput(1, u))).isLessThan(1e-6f);
    }

    @Test
    void expertNamesAreCheckedAgainstTheModel() {
        Gpt gpt = model(GptConfig.Mlp.GELU, 34);
        assertThat(Component.parse("L0E3").toString()).isEqualTo("L0E3");
        assertThatThrownBy(() -> Component.parse("L1E0").checkIn(gpt.config())).isInstanceOf(LoupeException.class)
                .hasMessageContaining("not a mixture");
        assertThatThrownBy(() -> Component.parse("L0E4").checkIn(gpt.config())).hasMessageContaining("experts 0–3");
        assertThatThrownBy(() -> Component.parse("L0N3").checkIn(gpt.config())).hasMessageContaining("name an expert");
        assertThatThrownBy(() -> Component.parse("L0E1").ablation(gpt.config(), new dev.loupe.model.ActivationCache()))
                .hasMessageContaining("zero-ablation");
        assertThatThrownBy(() -> VirtualWeights.mlpOutput(gpt, 0)).hasMessageContaining("mixture of 4 experts");
        assertThat(VirtualWeights.expertOutput(gpt, 0, 2).name()).isEqualTo("L0E2.W_out");
        assertThatThrownBy(() -> MlpLinearisation.at(gpt.blocks[0].mlp, Tensor.zeros(12))).hasMessageContaining("atExpert");
    }

    /**
     * Expert e's linearisation W_in,e·diag(φ'(h))·W_out,e equals the central-difference Jacobian of
     * Expert_e; the fixed-routing mixture Jacobian equals that of Σ_{e∈K} w_e·Expert_e(x) with w held.
     * Float32 forward with step 1e-2: ~1e-4 error on O(1) entries; 2e-3 leaves margin, while a
     * missing w_e or φ' is off by the entry itself.
     */
    @Test
    void perExpertAndFixedRoutingLinearisationsAreTheJacobians() {
        Gpt gpt = model(GptConfig.Mlp.GELU, 35);
        MixtureOfExperts moe = gpt.mixture(0);
        Tensor x = Tensor.randn(9, 1f, 12);
        Routing r = moe.route(x.reshape(1, 12));
        Tensor jFixed = MlpLinearisation.atFixedRouting(moe, x).materialize();
        Tensor j1 = MlpLinearisation.atExpert(moe, 1, x).materialize();
        float h = 1e-2f;
        for (int i = 0; i < 12; i++) {
            Tensor plus = x.copy(), minus = x.copy();
            plus.data()[i] += h;
            minus.data()[i] -= h;
            Tensor ep = moe.expertOutput(1, plus.reshape(1, 12)), em = moe.expertOutput(1, minus.reshape(1, 12));
            for (int j = 0; j < 12; j++) {
                assertThat((double) j1.get(i, j)).isCloseTo((ep.get(0, j) - em.get(0, j)) / (2.0 * h), within(2e-3));
                double fixed = 0;
                for (int c = 0; c < 2; c++) {
                    int e = r.expert(0, c);
                    double dy = moe.expertOutput(e, plus.reshape(1, 12)).get(0, j) - moe.expertOutput(e, minus.reshape(1, 12)).get(0, j);
                    fixed += r.weights().get(0, c) * dy / (2.0 * h);
                }
                assertThat((double) jFixed.get(i, j)).isCloseTo(fixed, within(2e-3));
            }
        }
    }

    private static Tensor cachedMlpOut(Gpt gpt, int[] ids, List<Intervention> interventions) {
        List<Hooks.Handle> handles = new ArrayList<>();
        try {
            for (Intervention i : interventions) handles.add(gpt.hooks().add(i.hookName(), i.hook()));
            return gpt.runWithCache(ids, 1, T, n -> n.equals("blocks.2.hook_mlp_out")).cache().get("blocks.2.hook_mlp_out").reshape(T, 12);
        } finally {
            handles.forEach(Hooks.Handle::close);
        }
    }
}
