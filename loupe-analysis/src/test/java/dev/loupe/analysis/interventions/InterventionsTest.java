package dev.loupe.analysis.interventions;

import dev.loupe.model.ActivationCache;
import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.function.ToDoubleFunction;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class InterventionsTest {
    private static final int B = 2, T = 6;
    private final Gpt gpt = TestModels.random(GptConfig.Norm.PRE, GptConfig.Mlp.GELU, 5);
    private final int[] clean = TestModels.tokens(1, B * T, 13);

    /** The clean ids with one token changed in every sequence, at position 2. */
    private int[] corrupted() {
        int[] c = clean.clone();
        for (int b = 0; b < B; b++) c[b * T + 2] = (c[b * T + 2] + 5) % 13;
        return c;
    }

    @Test
    void zeroAblatingAHeadEqualsZeroingItsOutputWeights() {
        Tensor ablated = Intervention.run(gpt, clean, B, T, Ablation.zeroHead(1, 2));
        Tensor wO = gpt.blocks[1].attn.wO(2), saved = wO.copy();
        wO.fill(0f);
        Tensor zeroed = gpt.logits(clean, B, T).copy();
        saved.copyInto(wO);
        assertThat(ablated.maxAbsDiff(zeroed)).isZero();               // same products, one of each pair zero
        assertThat(ablated.maxAbsDiff(gpt.logits(clean, B, T))).isPositive();
        assertThat(gpt.hooks().isEmpty()).isTrue();
    }

    @Test
    void zeroAblatingAnMlpOrANeuronEqualsZeroingItsWeights() {
        Tensor mlp = Intervention.run(gpt, clean, B, T, Ablation.zeroMlp(0));
        Tensor neuron = Intervention.run(gpt, clean, B, T, Ablation.zeroNeuron(2, 7));
        var proj = gpt.blocks[0].mlp.proj;
        Tensor w = proj.weight.copy(), b = proj.bias.copy();
        proj.weight.fill(0f);
        proj.bias.fill(0f);
        assertThat(mlp.maxAbsDiff(gpt.logits(clean, B, T))).isZero();
        w.copyInto(proj.weight);
        b.copyInto(proj.bias);
        Tensor row = gpt.blocks[2].mlp.proj.weight.select(0, 7), savedRow = row.copy();   // W_out row of neuron 7
        row.fill(0f);
        assertThat(neuron.maxAbsDiff(gpt.logits(clean, B, T))).isLessThan(1e-5f);
        savedRow.copyInto(row);
    }

    @Test
    void meanAblationWritesTheReferenceMean() {
        ActivationCache ref = gpt.runWithCache(corrupted(), B, T, n -> true).cache();
        ActivationCache seen = new ActivationCache();
        try (var a = gpt.hooks().add(Ablation.headHook(0), Ablation.meanHead(0, 1, ref).hook());
             var n = gpt.hooks().add(Ablation.neuronHook(1), Ablation.meanNeuron(1, 4, ref).hook());
             var m = gpt.hooks().add(Ablation.mlpHook(2), Ablation.meanMlp(2, ref).hook());
             var c = gpt.hooks().add(name -> true, seen)) {
            gpt.logits(clean, B, T);
        }
        Tensor z = seen.get(Ablation.headHook(0)), zRef = ref.get(Ablation.headHook(0));
        double mean = 0;
        for (int b = 0; b < B; b++) for (int t = 0; t < T; t++) mean += zRef.get(b, t, 1, 3);
        mean /= B * T;
        assertThat((double) z.get(1, 4, 1, 3)).isCloseTo(mean, within(1e-6));
        assertThat(z.get(1, 4, 0, 3)).isNotEqualTo((float) mean);      // other heads untouched
        double neuronMean = 0;
        for (int b = 0; b < B; b++) for (int t = 0; t < T; t++) neuronMean += ref.get(Ablation.neuronHook(1)).get(b, t, 4);
        assertThat((double) seen.get(Ablation.neuronHook(1)).get(0, 5, 4)).isCloseTo(neuronMean / (B * T), within(1e-6));
        assertThat(seen.get(Ablation.mlpHook(2)).get(0, 0, 3)).isEqualTo(seen.get(Ablation.mlpHook(2)).get(1, 5, 3));
    }

    @Test
    void patchingACleanActivationIntoTheCleanRunChangesNothing() {
        Tensor plain = gpt.logits(clean, B, T).copy();
        // hook_result is left out of this cache: computing it sums the heads in another order (rounding)
        ActivationCache self = gpt.runWithCache(clean, B, T, n -> !n.endsWith("hook_result")).cache();
        for (String name : self.names()) {
            Tensor patched = Intervention.run(gpt, clean, B, T, Patching.patch(name, self, Patching.ALL, Patching.ALL));
            if (name.endsWith("hook_scale")) assertThat(patched.maxAbsDiff(plain)).as(name).isLessThan(1e-5f); // 1/(1/rstd) rounds
            else assertThat(patched.maxAbsDiff(plain)).as(name).isZero();
        }
        ActivationCache results = gpt.runWithCache(clean, B, T, n -> n.endsWith("hook_result")).cache();
        Tensor viaResult = Intervention.run(gpt, clean, B, T, Patching.patch("blocks.1.attn.hook_result", results, 4, 0));
        assertThat(viaResult.maxAbsDiff(plain)).isLessThan(1e-5f);
        Tensor one = Intervention.run(gpt, clean, B, T, Patching.patch("blocks.1.attn.hook_pattern", self, 3, 1));
        assertThat(one.maxAbsDiff(plain)).isZero();
    }

    @Test
    void patchingEverythingFromTheCorruptedRunReproducesItsLogits() {
        int[] bad = corrupted();
        Gpt.CachedRun corrupt = gpt.runWithCache(bad, B, T, n -> !n.endsWith("hook_result"));
        Tensor corruptLogits = corrupt.logits().copy();
        for (String name : new String[] {"blocks.0.hook_resid_pre", "blocks.2.hook_resid_post", "blocks.1.hook_resid_mid"}) {
            Tensor patched = Intervention.run(gpt, clean, B, T, Patching.patch(name, corrupt.cache(), Patching.ALL, Patching.ALL));
            assertThat(patched.maxAbsDiff(corruptLogits)).as(name).isZero();
        }
        // every head of every layer through hook_z, plus every MLP output, is also everything
        java.util.List<Intervention> all = new java.util.ArrayList<>();
        all.add(Patching.patch("blocks.0.hook_resid_pre", corrupt.cache(), Patching.ALL, Patching.ALL));
        for (int l = 0; l < 3; l++)
            for (int h = 0; h < 3; h++) all.add(Patching.patch(Ablation.headHook(l), corrupt.cache(), Patching.ALL, h));
        assertThat(Intervention.run(gpt, clean, B, T, all).maxAbsDiff(corruptLogits)).isLessThan(1e-5f);
    }

    @Test
    void positionSweepSeesTheCorruptedTokenOnlyWhereItIs() {
        int[] bad = corrupted();
        int good = 3, worse = 8;
        ToDoubleFunction<Tensor> metric = Patching.logitDifference(T - 1, good, worse);
        double cleanValue = metric.applyAsDouble(gpt.logits(clean, B, T));
        double corruptValue = metric.applyAsDouble(gpt.logits(bad, B, T));
        ActivationCache src = Patching.sourceCache(gpt, bad, B, T, "hook_resid_pre");
        assertThat(src.names()).containsExactly("blocks.0.hook_resid_pre", "blocks.1.hook_resid_pre", "blocks.2.hook_resid_pre");
        double[][] grid = Patching.sweepPositions(gpt, clean, B, T, src, "hook_resid_pre", metric);
        assertThat(grid.length).isEqualTo(3);
        assertThat(grid[0].length).isEqualTo(T);
        for (int t = 0; t < T; t++) {
            // layer 0 at position t holds only token t: same as clean unless t is the corrupted position
            assertThat(grid[0][t]).isCloseTo(t == 2 ? corruptValue : cleanValue, within(1e-5));
            // positions before the corruption have not seen it at any layer
            if (t < 2) for (int l = 0; l < 3; l++) assertThat(grid[l][t]).isCloseTo(cleanValue, within(1e-5));
        }
        assertThat(grid[2][T - 1]).isNotCloseTo(cleanValue, within(1e-4));  // the last position has read it by layer 2

        ActivationCache zs = Patching.sourceCache(gpt, bad, B, T, "attn.hook_z");
        double[][] heads = Patching.sweepHeads(gpt, clean, B, T, zs, "attn.hook_z", metric);
        assertThat(heads[1][2]).isEqualTo(metric.applyAsDouble(
                Intervention.run(gpt, clean, B, T, Patching.patch("blocks.1.attn.hook_z", zs, Patching.ALL, 2))));
    }

    @Test
    void steeringAddsTheVectorToTheStreamAtEveryPosition() {
        Tensor v = Tensor.randn(9, 1f, 12);
        ActivationCache before = gpt.runWithCache(clean, B, T, n -> n.equals("blocks.1.hook_resid_pre")).cache();
        ActivationCache after = new ActivationCache();
        try (var s = gpt.hooks().add("blocks.1.hook_resid_pre", Steering.add(1, v, 2f).hook());
             var c = gpt.hooks().add("blocks.1.hook_resid_pre", after)) {
            gpt.logits(clean, B, T);
        }
        for (int t = 0; t < T; t++)
            assertThat(after.get("blocks.1.hook_resid_pre").get(1, t, 5))
                    .isCloseTo(before.get("blocks.1.hook_resid_pre").get(1, t, 5) + 2f * v.get(5), within(1e-5f));
        assertThat(Intervention.run(gpt, clean, B, T, Steering.add(1, Tensor.zeros(12), 1f)).maxAbsDiff(gpt.logits(clean, B, T))).isZero();
    }
}
