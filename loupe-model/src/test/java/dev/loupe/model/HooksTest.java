package dev.loupe.model;

import dev.loupe.LoupeException;
import dev.loupe.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class HooksTest {
    private static final int B = 2, T = 5;

    private static Gpt model(GptConfig.Norm norm, GptConfig.Mlp mlp) {
        return TinyModels.randomModel(TinyModels.config(GptConfig.Positional.LEARNED, norm, mlp, false, 2), 7);
    }

    private static int[] ids(Gpt m) {
        return TinyModels.tokens(3, B * T, m.config().vocabSize());
    }

    @Test
    void everyHookPointOfTheTableFiresInOrderWithItsShape() {
        for (GptConfig c : TinyModels.allVariants()) {
            Gpt m = TinyModels.randomModel(c, 11);
            Gpt.CachedRun run = m.runWithCache(TinyModels.tokens(1, B * T, c.vocabSize()), B, T, n -> true);
            List<HookPoint> table = HookPoints.table(c, B, T);
            assertThat(new ArrayList<>(run.cache().names())).as(TinyModels.describe(c))
                    .containsExactlyElementsOf(table.stream().map(HookPoint::name).toList());
            for (HookPoint p : table) assertThat(run.cache().get(p.name()).shape()).as(p.name()).isEqualTo(p.shape());
        }
    }

    @Test
    void readHooksLeaveLogitsBitwiseUnchangedAndSeeTheModelsActivations() {
        Gpt m = model(GptConfig.Norm.PRE, GptConfig.Mlp.GELU);
        int[] ids = ids(m);
        float[] plain = m.logits(ids, B, T).toArray();
        Gpt.CachedRun run = m.runWithCache(ids, B, T, n -> !n.endsWith("hook_result"));
        assertThat(run.logits().toArray()).isEqualTo(plain);
        assertThat(m.hooks().isEmpty()).isTrue();

        Activations a = m.forward(ids, B, T);
        ActivationCache c = run.cache();
        assertThat(c.get("blocks.1.hook_resid_pre").toArray()).isEqualTo(a.residual.pre(1).toArray());
        assertThat(c.get("blocks.0.attn.hook_pattern").toArray()).isEqualTo(a.blocks[0].pattern.toArray());
        assertThat(c.get("blocks.1.mlp.hook_post").toArray()).isEqualTo(a.blocks[1].mlpPost.toArray());
        // hook_k[b, t, h, i] is column d + h·d_head + i of qkv
        Tensor k = c.get("blocks.1.attn.hook_k");
        int dh = m.config().dModel() / m.config().nHead();
        assertThat(k.get(1, 3, 1, 2)).isEqualTo(a.blocks[1].qkv.get(T + 3, m.config().dModel() + dh + 2));
        // ln1.hook_scale = √(var + ε) = 1/rstd
        assertThat(c.get("blocks.0.ln1.hook_scale").get(0, 4, 0)).isCloseTo(1f / a.blocks[0].ln1Rstd.get(4), within(1e-6f));
        // embed + pos = resid_pre 0
        Tensor sum = Tensor.zeros(B, T, m.config().dModel());
        dev.loupe.tensor.ops.Ops.add(c.get("hook_embed"), c.get("hook_pos_embed"), sum);
        assertThat(sum.toArray()).isEqualTo(c.get("blocks.0.hook_resid_pre").toArray());
    }

    @Test
    void resultIsComputedOnlyWhenHookedAndSumsToAttnOut() {
        Gpt m = model(GptConfig.Norm.PRE, GptConfig.Mlp.RELU);
        int[] ids = ids(m);
        // without a hook on it, no per-head result tensor is made and W_O runs fused: bitwise equal logits
        assertThat(m.runWithCache(ids, B, T, n -> n.contains("attn.") && !n.endsWith("hook_result")).logits().toArray())
                .isEqualTo(m.logits(ids, B, T).toArray());
        Gpt.CachedRun run = m.runWithCache(ids, B, T, ActivationCache.endingWith("hook_result", "hook_attn_out"));
        Tensor r = run.cache().get("blocks.0.attn.hook_result"), out = run.cache().get("blocks.0.hook_attn_out");
        int d = m.config().dModel();
        for (int b = 0; b < B; b++)
            for (int t = 0; t < T; t++)
                for (int j = 0; j < d; j++) {
                    float s = m.blocks[0].attn.proj.bias.get(j);
                    for (int h = 0; h < m.config().nHead(); h++) s += r.get(b, t, h, j);
                    assertThat(out.get(b, t, j)).isEqualTo(s);
                }
        assertThat(run.logits().maxAbsDiff(m.logits(ids, B, T))).isLessThan(1e-5f);
    }

    @Test
    void attentionScoresAreMaskedAndSoftmaxToThePattern() {
        Gpt m = model(GptConfig.Norm.PRE, GptConfig.Mlp.NONE);
        ActivationCache c = m.runWithCache(ids(m), B, T, ActivationCache.endingWith("hook_attn_scores", "hook_pattern")).cache();
        Tensor s = c.get("blocks.1.attn.hook_attn_scores"), p = c.get("blocks.1.attn.hook_pattern");
        int q = 3;
        double z = 0;
        for (int k = 0; k <= q; k++) z += Math.exp(s.get(1, 1, q, k));
        for (int k = 0; k < T; k++) {
            if (k > q) {
                assertThat(s.get(1, 1, q, k)).isEqualTo(Float.NEGATIVE_INFINITY);
                assertThat(p.get(1, 1, q, k)).isZero();
            } else {
                assertThat((double) p.get(1, 1, q, k)).isCloseTo(Math.exp(s.get(1, 1, q, k)) / z, within(1e-6));
            }
        }
    }

    @Test
    void writeHooksEditInPlaceOrReplaceAndTheForwardContinuesWithTheEdit() {
        Gpt m = model(GptConfig.Norm.PRE, GptConfig.Mlp.GELU);
        int[] ids = ids(m);
        Tensor edited;
        try (var h = m.hooks().add("blocks.1.hook_mlp_out", (a, n) -> a.fill(0f))) {
            edited = m.logits(ids, B, T).copy();
        }
        // zeroing the last MLP's output = running with that MLP's W_out and b_out zeroed
        Tensor wOut = m.blocks[1].mlp.proj.weight, bOut = m.blocks[1].mlp.proj.bias;
        Tensor w = wOut.copy(), b = bOut.copy();
        wOut.fill(0f);
        bOut.fill(0f);
        Tensor zeroed = m.logits(ids, B, T).copy();
        w.copyInto(wOut);
        b.copyInto(bOut);
        assertThat(edited.maxAbsDiff(zeroed)).isZero();

        // a replacement tensor is copied in: replacing resid_post of the last block with its own
        // copy changes nothing, replacing it with zeros makes LN_f output β everywhere
        try (var h = m.hooks().add("blocks.1.hook_resid_post", (a, n) -> a.copy())) {
            assertThat(m.logits(ids, B, T).maxAbsDiff(m.logits(ids, B, T))).isZero();
        }
        ActivationCache c = new ActivationCache();
        try (var h = m.hooks().add("blocks.1.hook_resid_post", (a, n) -> Tensor.zeros(a.shape()));
             var h2 = m.hooks().add("ln_final.hook_normalized", c)) {
            m.logits(ids, B, T);
        }
        assertThat(c.get("ln_final.hook_normalized").get(1, 2, 3)).isCloseTo(m.lnFinal.bias.get(3), within(1e-6f));
    }

    @Test
    void anEditedScaleRenormalises() {
        Gpt m = model(GptConfig.Norm.PRE, GptConfig.Mlp.GELU);
        int[] ids = ids(m);
        ActivationCache c = new ActivationCache();
        try (var h = m.hooks().add("ln_final.hook_scale", (a, n) -> {
                 for (int i = 0; i < a.size(); i++) a.data()[i] *= 2f;
                 return a;
             });
             var h2 = m.hooks().add(ActivationCache.endingWith("ln_final.hook_scale", "ln_final.hook_normalized", "blocks.1.hook_resid_post"), c)) {
            m.logits(ids, B, T);
        }
        Tensor x = c.get("blocks.1.hook_resid_post"), y = c.get("ln_final.hook_normalized"), s = c.get("ln_final.hook_scale");
        int d = m.config().dModel();
        double mu = 0;
        for (int j = 0; j < d; j++) mu += x.get(1, 4, j);
        mu /= d;
        for (int j = 0; j < d; j++) {
            double want = (x.get(1, 4, j) - mu) / s.get(1, 4, 0) * m.lnFinal.weight.get(j) + m.lnFinal.bias.get(j);
            assertThat((double) y.get(1, 4, j)).isCloseTo(want, within(1e-5));
        }
    }

    @Test
    void aHookThatThrowsIsDetachedByTryWithResources() {
        Gpt m = model(GptConfig.Norm.PRE, GptConfig.Mlp.GELU);
        int[] ids = ids(m);
        float[] plain = m.logits(ids, B, T).toArray();
        assertThatThrownBy(() -> {
            try (var h = m.hooks().add("blocks.0.hook_resid_mid", (a, n) -> {
                a.fill(0f);
                throw new IllegalStateException("boom");
            })) {
                m.logits(ids, B, T);
            }
        }).hasMessage("boom");
        assertThat(m.hooks().isEmpty()).isTrue();
        assertThat(m.logits(ids, B, T).toArray()).isEqualTo(plain);
    }

    @Test
    void unknownNamesAreRejectedAndTrainingIsNeverHooked() {
        Gpt m = model(GptConfig.Norm.PRE, GptConfig.Mlp.NONE);
        assertThatThrownBy(() -> m.hooks().add("blocks.0.mlp.hook_post", (a, n) -> a))
                .isInstanceOf(LoupeException.class).hasMessageContaining("blocks.0.mlp.hook_post");
        AtomicInteger calls = new AtomicInteger();
        int[] ids = ids(m);
        try (var h = m.hooks().add(n -> true, Hook.reader((a, n) -> calls.incrementAndGet()))) {
            m.forwardBackward(ids, ids, B, T);
            assertThat(calls.get()).isZero();
            m.loss(ids, ids, B, T);
            assertThat(calls.get()).isPositive();
        }
    }

    @Test
    void postLnModelsExposeTheirLayerNorms() {
        Gpt m = model(GptConfig.Norm.POST, GptConfig.Mlp.GELU);
        ActivationCache c = m.runWithCache(ids(m), B, T, n -> true).cache();
        assertThat(c.get("blocks.0.ln1.hook_normalized").toArray()).isEqualTo(c.get("blocks.0.hook_resid_mid").toArray());
        assertThat(c.get("blocks.1.ln2.hook_normalized").toArray()).isEqualTo(c.get("blocks.1.hook_resid_post").toArray());
    }
}
