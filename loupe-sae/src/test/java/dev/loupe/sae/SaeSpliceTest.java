package dev.loupe.sae;

import dev.loupe.LoupeException;
import dev.loupe.analysis.decomposition.ResidualDecomposition;
import dev.loupe.analysis.interventions.Intervention;
import dev.loupe.model.ActivationCache;
import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class SaeSpliceTest {
    static final GptConfig CONFIG = new GptConfig(24, 16, 16, 2, 2, 32, 1e-5f, false, GptConfig.Norm.PRE,
            GptConfig.Mlp.GELU, GptConfig.Positional.LEARNED);
    static final int[] IDS = {3, 7, 1, 22, 9, 9, 14, 0, 5, 18};

    /** A random SAE at {@code hook} of width dIn with 3·dIn features; b_enc shifted so about half the features fire. */
    static SparseAutoencoder sae(String hook, int dIn, long seed) {
        int dSae = 3 * dIn;
        Tensor wEnc = Tensor.randn(seed, 0.3f, dIn, dSae), wDec = Tensor.randn(seed + 1, 0.3f, dSae, dIn);
        Tensor bEnc = Tensor.randn(seed + 2, 0.1f, dSae), bDec = Tensor.randn(seed + 3, 0.1f, dIn);
        return SparseAutoencoder.of(SaeConfig.of(Architecture.STANDARD, dIn, dSae, 0, SaeMetadata.of("test", hook)),
                wEnc, bEnc, wDec, bDec, null);
    }

    static Tensor logits(Gpt gpt) {
        return gpt.logits(IDS, 1, IDS.length).copy();
    }

    @Test
    void withTheErrorTermTheModelIsUnchangedAtEveryKindOfHook() {
        Gpt gpt = Gpt.create(CONFIG, 1);
        Tensor plain = logits(gpt);
        for (String hook : List.of("blocks.0.hook_resid_post", "blocks.1.mlp.hook_post", "blocks.0.attn.hook_z", "blocks.1.hook_attn_out")) {
            int width = hook.endsWith("mlp.hook_post") ? 32 : 16;
            try (SaeSplice s = SaeSplice.attach(gpt, sae(hook, width, 5), true)) {
                assertThat(logits(gpt).maxAbsDiff(plain)).as(hook).isLessThan(1e-5f);
            }
            try (SaeSplice s = SaeSplice.attach(gpt, sae(hook, width, 5), false)) {
                assertThat(logits(gpt).maxAbsDiff(plain)).as(hook + " without the error term changes the model").isGreaterThan(1e-3f);
            }
        }
        assertThat(logits(gpt).maxAbsDiff(plain)).as("closed splices leave nothing behind").isZero();
        assertThat(gpt.hooks().isEmpty()).isTrue();
    }

    @Test
    void theSaeHookPointsCarryItsForwardPass() {
        Gpt gpt = Gpt.create(CONFIG, 1);
        String hook = "blocks.0.hook_resid_post";
        SparseAutoencoder sae = sae(hook, 16, 7);
        try (SaeSplice s = SaeSplice.attach(gpt, sae, true)) {
            ActivationCache c = gpt.runWithCache(IDS, 1, IDS.length, n -> n.startsWith(hook)).cache();
            Tensor x = c.get(s.name("hook_sae_input"));
            assertThat(x.shape()).containsExactly(1, IDS.length, 16);
            Tensor f = sae.encode(x.reshape(IDS.length, 16));
            assertThat(c.get(s.name("hook_sae_acts_post")).reshape(IDS.length, 48).maxAbsDiff(f)).isZero();
            Tensor recons = c.get(s.name("hook_sae_recons")), error = c.get(s.name("hook_sae_error")), out = c.get(s.name("hook_sae_output"));
            assertThat(recons.reshape(IDS.length, 16).maxAbsDiff(sae.decode(f))).isZero();
            for (int t = 0; t < IDS.length; t++)
                for (int j = 0; j < 16; j++) {
                    assertThat(error.get(0, t, j)).isCloseTo(x.get(0, t, j) - recons.get(0, t, j), within(1e-6f));
                    assertThat(out.get(0, t, j)).isCloseTo(x.get(0, t, j), within(1e-5f));
                }
            gpt.hooks().add(s.name("hook_sae_acts_post"), (a, n) -> a).close();     // a hook point while spliced
        }
        assertThatThrownBy(() -> gpt.hooks().add(hook + ".hook_sae_acts_post", (a, n) -> a))
                .as("the name goes with the splice").isInstanceOf(LoupeException.class).hasMessageContaining("no hook point");
    }

    @Test
    void ablatingAFeatureWithTheErrorTermRemovesExactlyItsDecoderRowTimesItsActivation() {
        Gpt gpt = Gpt.create(CONFIG, 1);
        String hook = "blocks.0.hook_resid_post";
        SparseAutoencoder sae = sae(hook, 16, 9);
        Tensor x = gpt.runWithCache(IDS, 1, IDS.length, hook::equals).cache().get(hook).reshape(IDS.length, 16);
        Tensor f = sae.encode(x);
        int feature = 0;
        for (int i = 0; i < 48; i++) if (f.get(IDS.length - 1, i) > f.get(IDS.length - 1, feature)) feature = i;
        // expected: the model with x − f_i·W_dec[i] at the hook, through a plain hook
        final int chosen = feature;
        Tensor expected = Intervention.run(gpt, IDS, 1, IDS.length, new Intervention(hook, (a, n) -> {
            for (int t = 0; t < IDS.length; t++)
                for (int j = 0; j < 16; j++) a.set(a.get(0, t, j) - f.get(t, chosen) * sae.wDec().get(chosen, j), 0, t, j);
            return a;
        }));
        try (SaeSplice s = SaeSplice.attach(gpt, sae, true)) {
            Tensor ablated = Intervention.run(gpt, IDS, 1, IDS.length, SaeInterventions.ablate(s, chosen));
            assertThat(ablated.maxAbsDiff(expected)).isLessThan(1e-5f);
            assertThat(ablated.maxAbsDiff(logits(gpt))).isGreaterThan(1e-4f);
        }
        // steering adds α·W_dec[i] at the hook
        Tensor steered = Intervention.run(gpt, IDS, 1, IDS.length, SaeInterventions.steer(sae, chosen, 2.5f));
        Tensor byHand = Intervention.run(gpt, IDS, 1, IDS.length, new Intervention(hook, (a, n) -> {
            for (int t = 0; t < IDS.length; t++)
                for (int j = 0; j < 16; j++) a.set(a.get(0, t, j) + 2.5f * sae.wDec().get(chosen, j), 0, t, j);
            return a;
        }));
        assertThat(steered.maxAbsDiff(byHand)).isZero();
    }

    @Test
    void featureAttributionsAddUpToTheMlpsAttributionWithoutItsBias() {
        Gpt gpt = Gpt.create(CONFIG, 2);
        String hook = "blocks.1.mlp.hook_post";
        SparseAutoencoder sae = sae(hook, 32, 11);
        try (SaeSplice s = SaeSplice.attach(gpt, sae, false)) {
            ResidualDecomposition rd = ResidualDecomposition.compute(gpt, IDS);
            int pos = IDS.length - 1, target = 4;
            double[] dla = rd.directLogitAttribution(pos, target);
            int mlp = 0;
            while (!rd.components().get(mlp).label().equals("L1MLP")) mlp++;
            Tensor acts = gpt.runWithCache(IDS, 1, IDS.length, n -> n.equals(s.name("hook_sae_acts_post"))).cache()
                    .get(s.name("hook_sae_acts_post")).select(1, pos).reshape(96);
            FeatureAttribution fa = FeatureAttribution.of(gpt, sae, acts, rd.finalScale().get(pos), target);
            double sum = fa.bias();
            for (double v : fa.features()) sum += v;
            // the MLP's own attribution includes b_out's: take it out the same way
            Tensor bOut = gpt.blocks[1].mlp.proj.bias;
            double mean = 0, bTerm = 0;
            for (int j = 0; j < 16; j++) mean += bOut.get(j) / 16.0;
            for (int j = 0; j < 16; j++) bTerm += (bOut.get(j) - mean) * gpt.lnFinal.weight.get(j) * gpt.unembedding.weight.get(target, j);
            bTerm /= rd.finalScale().get(pos);
            assertThat(sum).isCloseTo(dla[mlp] - bTerm, within(1e-4));
            assertThat(fa.strongest(3)).hasSize(3);
        }
    }

    @Test
    void anSaeOfAnotherModelOrHookIsOneClearError() {
        Gpt gpt = Gpt.create(CONFIG, 1);
        assertThatThrownBy(() -> SaeSplice.attach(gpt, sae("blocks.0.hook_resid_post", 32, 1), false))
                .isInstanceOf(LoupeException.class).hasMessageContaining("d_in is 32").hasMessageContaining("16 wide");
        assertThatThrownBy(() -> SaeSplice.attach(gpt, sae("blocks.7.hook_resid_post", 16, 1), false))
                .isInstanceOf(LoupeException.class).hasMessageContaining("does not have").hasMessageContaining("blocks.7.hook_resid_post");
        assertThat(gpt.hooks().isEmpty()).isTrue();
    }
}
