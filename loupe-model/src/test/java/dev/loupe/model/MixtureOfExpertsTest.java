package dev.loupe.model;

import dev.loupe.LoupeException;
import dev.loupe.model.io.ModelDirectory;
import dev.loupe.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * The mixture-of-experts forward: the dispatch identity, the router identity, what dispatch runs,
 * capacity, hooks and interventions through them, a model directory round trip and cached decoding.
 * (Gradients: {@link MixtureOfExpertsGradientTest}; PyTorch: {@link MoeTorchComparisonTest}.)
 */
class MixtureOfExpertsTest {
    static final int B = 2, T = 5;

    static Tensor randomRows(long seed, int n, int d) {
        return Tensor.randn(seed, 1f, n, d);
    }

    /**
     * MoE(X) = Σ_e diag(R[:, e])·Expert_e(X), with R the dense routing matrix [N, E] and every expert
     * run on every row: the dispatched forward (gather, per-expert GEMMs, scatter-add) computes the
     * block-diagonal form exactly, up to float32 summation order.
     */
    @ParameterizedTest
    @EnumSource(value = GptConfig.Mlp.class, names = {"GELU", "RELU", "SWIGLU"})
    void dispatchEqualsTheBlockDiagonalFormWithTheRoutingMatrix(GptConfig.Mlp kind) {
        Gpt m = TinyModels.randomModel(MoeModels.config(kind, MoeModels.settings(MoeSettings.Router.SOFTMAX_TOPK)), 3);
        MixtureOfExperts moe = m.mixture(0);
        Tensor u = randomRows(5, 13, 8);
        Tensor out = Tensor.zeros(13, 8);
        moe.forward(u, out);
        Routing r = moe.route(u);
        Tensor blockDiagonal = Tensor.zeros(13, 8);
        for (int e = 0; e < 4; e++) {
            Tensor y = moe.expertOutput(e, u);                                  // Expert_e(X), every row
            for (int t = 0; t < 13; t++) {
                for (int j = 0; j < 8; j++) blockDiagonal.data()[t * 8 + j] += r.matrix().get(t, e) * y.get(t, j);
            }
        }
        assertThat(out.maxAbsDiff(blockDiagonal)).isLessThan(1e-5f);
        // R has k non-zeros per row, summing to 1; p sums to 1
        for (int t = 0; t < 13; t++) {
            double rowSum = 0, pSum = 0;
            int nonZero = 0;
            for (int e = 0; e < 4; e++) {
                rowSum += r.matrix().get(t, e);
                pSum += r.probs().get(t, e);
                if (r.matrix().get(t, e) != 0) nonZero++;
            }
            assertThat(rowSum).isCloseTo(1, within(1e-6));
            assertThat(pSum).isCloseTo(1, within(1e-6));
            assertThat(nonZero).isEqualTo(2);
        }
    }

    /**
     * softmax_topk and topk_softmax give the same weights: p_e / Σ_{j∈K} p_j
     * = (exp(g_e)/Z) / (Σ_{j∈K} exp(g_j)/Z) = exp(g_e) / Σ_{j∈K} exp(g_j) = softmax(g_K)_e — the
     * partition function Z over all experts cancels.
     */
    @Test
    void softmaxThenTopKEqualsTopKThenSoftmax() {
        GptConfig a = MoeModels.config(GptConfig.Mlp.GELU, MoeModels.settings(MoeSettings.Router.SOFTMAX_TOPK));
        GptConfig b = MoeModels.config(GptConfig.Mlp.GELU, MoeModels.settings(MoeSettings.Router.TOPK_SOFTMAX));
        Gpt ma = TinyModels.randomModel(a, 9), mb = Gpt.fromWeights(b, ma.parameters());
        Tensor u = randomRows(2, 40, 8);
        Routing ra = ma.mixture(1).route(u), rb = mb.mixture(1).route(u);
        assertThat(ra.indices()).isEqualTo(rb.indices());
        assertThat(ra.weights().maxAbsDiff(rb.weights())).isLessThan(1e-6f);
        int[] ids = TinyModels.tokens(4, B * T, a.vocabSize());
        assertThat(ma.logits(ids, B, T).maxAbsDiff(mb.logits(ids, B, T))).isLessThan(1e-5f);
    }

    /** Dispatch runs each expert on exactly the rows routed to it: N·k rows in all, not N·E. */
    @Test
    void eachExpertRunsOnItsRoutedRowsOnly() {
        Gpt m = TinyModels.randomModel(MoeModels.config(GptConfig.Mlp.GELU, MoeModels.settings(MoeSettings.Router.SOFTMAX_TOPK)), 4);
        MixtureOfExperts moe = m.mixture(0);
        Tensor u = randomRows(6, 31, 8);
        moe.forward(u, Tensor.zeros(31, 8));
        Routing r = moe.lastRouting();
        int total = 0;
        for (int e = 0; e < 4; e++) {
            int[] rows = moe.routedTokens(e);
            total += rows.length;
            List<Integer> expected = new ArrayList<>();
            for (int t = 0; t < 31; t++) if (r.expert(t, 0) == e || r.expert(t, 1) == e) expected.add(t);
            assertThat(rows).as("expert %d", e).containsExactly(expected.stream().mapToInt(Integer::intValue).toArray());
            assertThat(moe.load()[e]).isEqualTo(expected.size());
        }
        assertThat(total).isEqualTo(31 * 2);
        assertThat(moe.dropped()).isZero();
    }

    /** Capacity C = ⌈c·N·k/E⌉ drops Σ_e max(0, n_e − C) slots in training steps, none in analysis passes. */
    @Test
    void capacityDropsOverflowingSlotsInTrainingOnly() {
        GptConfig c = MoeModels.config(GptConfig.Mlp.GELU, new MoeSettings(4, 2, 6, MoeSettings.Router.SOFTMAX_TOPK, 0.1f, 0.01f, 0.5f, null));
        Gpt m = TinyModels.randomModel(c, 5);
        int[] ids = TinyModels.tokens(1, B * T, c.vocabSize()), targets = TinyModels.tokens(2, B * T, c.vocabSize());
        m.forwardBackward(ids, targets, B, T);
        int cap = (int) Math.ceil(0.5 * B * T * 2 / 4);
        long expected = 0;
        for (int l = 0; l < 2; l++) {
            int[] load = m.mixture(l).load();
            int dropped = 0, kept = 0;
            for (int e = 0; e < 4; e++) {
                dropped += Math.max(0, load[e] - cap);
                kept += m.mixture(l).routedTokens(e).length;
                assertThat(m.mixture(l).routedTokens(e).length).isLessThanOrEqualTo(cap);
            }
            assertThat(m.mixture(l).dropped()).isEqualTo(dropped);
            assertThat(kept + dropped).isEqualTo(B * T * 2);
            expected += dropped;
        }
        assertThat(expected).isPositive();
        assertThat(m.routerLosses().dropped()).isEqualTo(expected);
        assertThat(m.routerLosses().slots()).isEqualTo(2L * B * T * 2);
        m.logits(ids, B, T);
        assertThat(m.routerLosses().dropped()).isZero();
    }

    /** The aux and z terms: α·E·Σ f_e·P_e and β·mean lse(g)², from the pass's own routing. */
    @Test
    void auxAndZLossesFollowTheirDefinitions() {
        Gpt m = TinyModels.randomModel(MoeModels.config(GptConfig.Mlp.RELU, MoeModels.settings(MoeSettings.Router.SOFTMAX_TOPK)), 8);
        MixtureOfExperts moe = m.mixture(1);
        Tensor u = randomRows(3, 17, 8);
        moe.forward(u, Tensor.zeros(17, 8));
        Routing r = moe.route(u);
        double aux = 0, z = 0;
        for (int e = 0; e < 4; e++) {
            int count = 0;
            double p = 0;
            for (int t = 0; t < 17; t++) {
                if (r.expert(t, 0) == e || r.expert(t, 1) == e) count++;
                p += r.probs().get(t, e);
            }
            aux += (count / (17.0 * 2)) * (p / 17);
        }
        for (int t = 0; t < 17; t++) {
            double max = Double.NEGATIVE_INFINITY, s = 0;
            for (int e = 0; e < 4; e++) max = Math.max(max, r.logits().get(t, e));
            for (int e = 0; e < 4; e++) s += Math.exp(r.logits().get(t, e) - max);
            double lse = max + Math.log(s);
            z += lse * lse / 17;
        }
        assertThat(moe.auxLoss()).isCloseTo(0.1 * 4 * aux, within(1e-6));
        assertThat(moe.zLoss()).isCloseTo(0.01 * z, within(1e-6));
        // a perfectly balanced router has aux = α (f_e = P_e = 1/E)
    }

    @Test
    void hookTableListsRouterAndExpertHookPointsThatFireWithTheirShapes() {
        GptConfig c = MoeModels.config(GptConfig.Mlp.SWIGLU, new MoeSettings(4, 2, 6, MoeSettings.Router.SOFTMAX_TOPK, 0.1f, 0.01f, null, List.of(1)));
        Gpt m = TinyModels.randomModel(c, 2);
        Gpt.CachedRun run = m.runWithCache(TinyModels.tokens(1, B * T, c.vocabSize()), B, T, n -> true);
        List<HookPoint> table = HookPoints.table(c, B, T);
        assertThat(new ArrayList<>(run.cache().names())).containsExactlyElementsOf(table.stream().map(HookPoint::name).toList());
        assertThat(run.cache().names()).contains("blocks.0.mlp.hook_post", "blocks.1.mlp.hook_router_logits",
                "blocks.1.mlp.experts.3.hook_pre", "blocks.1.hook_mlp_out").doesNotContain("blocks.1.mlp.hook_post");
        int routed = 0;
        for (HookPoint p : table) {
            int[] got = run.cache().get(p.name()).shape();
            if (p.shape()[0] == HookPoints.ROUTED) {
                assertThat(got[1]).as(p.name()).isEqualTo(p.shape()[1]);
                if (p.name().endsWith("hook_post")) routed += got[0];
                assertThat(p.shapeText()).startsWith("[n_e, ");
            } else {
                assertThat(got).as(p.name()).isEqualTo(p.shape());
            }
        }
        assertThat(routed).isEqualTo(B * T * 2);
        assertThat(HookPoints.table(c, 1, 3).stream().filter(p -> p.name().equals("blocks.1.mlp.hook_router_logits")).findFirst().orElseThrow().shape())
                .containsExactly(1, 3, 4);
    }

    /**
     * Forcing and ablating through the hooks: indices set to expert 2 with weights (1, 0) make
     * hook_mlp_out exactly Expert_2(u); weights (0, 0) make it zero (the token passes by residual only).
     */
    @Test
    void editedIndicesAndWeightsForceOrAblateExperts() {
        GptConfig c = MoeModels.config(GptConfig.Mlp.GELU, MoeModels.settings(MoeSettings.Router.SOFTMAX_TOPK));
        Gpt m = TinyModels.randomModel(c, 6);
        int[] ids = TinyModels.tokens(3, B * T, c.vocabSize());
        Tensor forcedOut;
        Tensor u;
        try (var i = m.hooks().add("blocks.0.mlp.hook_expert_indices", (a, n) -> a.fill(2f));
             var w = m.hooks().add("blocks.0.mlp.hook_expert_weights", (a, n) -> {
                 for (int r = 0; r < a.size(); r += 2) {
                     a.data()[r] = 1f;
                     a.data()[r + 1] = 0f;
                 }
                 return a;
             })) {
            Gpt.CachedRun run = m.runWithCache(ids, B, T, n -> n.equals("blocks.0.hook_mlp_out") || n.equals("blocks.0.ln2.hook_normalized"));
            forcedOut = run.cache().get("blocks.0.hook_mlp_out").reshape(B * T, 8);
            u = run.cache().get("blocks.0.ln2.hook_normalized").reshape(B * T, 8);
            assertThat(m.mixture(0).routedTokens(2)).hasSize(2 * B * T);
        }
        assertThat(forcedOut.maxAbsDiff(m.mixture(0).expertOutput(2, u))).isLessThan(1e-6f);
        try (var w = m.hooks().add("blocks.0.mlp.hook_expert_weights", (a, n) -> a.fill(0f))) {
            Tensor out = m.runWithCache(ids, B, T, n -> n.equals("blocks.0.hook_mlp_out")).cache().get("blocks.0.hook_mlp_out");
            assertThat(dev.loupe.tensor.ops.Ops.maxAbs(out)).isZero();
        }
        try (var bad = m.hooks().add("blocks.0.mlp.hook_expert_indices", (a, n) -> a.fill(4f))) {
            assertThatThrownBy(() -> m.logits(ids, B, T)).isInstanceOf(LoupeException.class).hasMessageContaining("0..3");
        }
    }

    /** Editing the router logits reroutes: a large logit for expert 1 sends every position there first. */
    @Test
    void editedRouterLogitsAreRoutedAfresh() {
        GptConfig c = MoeModels.config(GptConfig.Mlp.RELU, MoeModels.settings(MoeSettings.Router.SOFTMAX_TOPK));
        Gpt m = TinyModels.randomModel(c, 12);
        int[] ids = TinyModels.tokens(3, B * T, c.vocabSize());
        try (var h = m.hooks().add("blocks.1.mlp.hook_router_logits", (a, n) -> {
            for (int r = 0; r < B * T; r++) a.data()[r * 4 + 1] += 50f;
            return a;
        })) {
            Tensor idx = m.runWithCache(ids, B, T, n -> n.endsWith("hook_expert_indices")).cache().get("blocks.1.mlp.hook_expert_indices");
            for (int r = 0; r < B * T; r++) assertThat(idx.data()[r * 2]).isEqualTo(1f);
        }
    }

    @ParameterizedTest(name = "{index}: {0}")
    @MethodSource("dev.loupe.model.MoeModels#variants")
    void aModelDirectoryRoundTripsToTheSameLogits(GptConfig c, @TempDir Path dir) {
        Gpt m = TinyModels.randomModel(c, 21);
        ModelDirectory.write(dir, c, m.parameters());
        ModelDirectory.LoadedModel back = ModelDirectory.read(dir);
        assertThat(back.config()).isEqualTo(c);
        Gpt again = Gpt.fromWeights(back.config(), back.weights());
        int[] ids = TinyModels.tokens(7, B * T, c.vocabSize());
        assertThat(again.logits(ids, B, T).toArray()).isEqualTo(m.logits(ids, B, T).toArray());
    }

    /** Cached decoding (one position at a time, N = 1 per mixture pass) equals the full forward. */
    @ParameterizedTest(name = "{index}: {0}")
    @MethodSource("dev.loupe.model.MoeModels#variants")
    void cachedDecodingEqualsTheFullForward(GptConfig c) {
        Gpt m = TinyModels.randomModel(c, 11);
        int n = c.nPositions();
        int[] ids = TinyModels.tokens(12, n, c.vocabSize());
        Tensor full = m.logits(ids, 1, n).reshape(n, c.vocabSize());
        KvCache cache = m.newCache(n);
        for (int t = 0; t < n; t++) {
            Tensor step = m.decodeStep(ids[t], cache);
            assertThat(step.maxAbsDiff(full.select(0, t))).as("%s position %d", MoeModels.describe(c), t).isLessThan(1e-4f);
        }
    }
}
