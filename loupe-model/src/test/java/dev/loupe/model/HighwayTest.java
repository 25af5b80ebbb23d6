package dev.loupe.model;

import dev.loupe.model.io.ModelDirectory;
import dev.loupe.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Highway-gated residual streams (SPEC §"Variants"): the two limits of the gate, the hook points,
 * the initialisation and the model directory round trip. (Gradients: {@link GptGradientTest};
 * PyTorch: {@link TorchComparisonTest}; cached decoding: {@link KvCacheTest}.)
 */
class HighwayTest {
    static final HighwaySettings BOTH_VECTOR = new HighwaySettings(EnumSet.allOf(HighwaySettings.Sublayer.class),
            HighwaySettings.Gate.VECTOR, HighwaySettings.Mode.HIGHWAY, -2f);

    static GptConfig plain() {
        return TinyModels.config(GptConfig.Positional.LEARNED, GptConfig.Norm.PRE, GptConfig.Mlp.GELU, true, 2);
    }

    /** A random highway model whose gates are forced to σ(bias) by W_T = 0. */
    static Gpt withConstantGates(GptConfig c, Gpt base, float bias) {
        Map<String, Tensor> w = new java.util.LinkedHashMap<>(base.parameters());
        for (Map.Entry<String, int[]> e : c.expectedShapes().entrySet()) {
            if (e.getKey().endsWith("_gate.weight")) w.put(e.getKey(), Tensor.zeros(e.getValue()));
            if (e.getKey().endsWith("_gate.bias")) w.put(e.getKey(), Tensor.zeros(e.getValue()).fill(bias));
        }
        return Gpt.fromWeights(c, w);
    }

    @Test
    void gatedResidualWithTheGateFullyOpenIsThePlainModel() {
        Gpt plain = TinyModels.randomModel(plain(), 3);
        for (HighwaySettings.Gate g : HighwaySettings.Gate.values()) {
            GptConfig c = plain().withHighway(new HighwaySettings(EnumSet.allOf(HighwaySettings.Sublayer.class), g,
                    HighwaySettings.Mode.GATED_RESIDUAL, 0f));
            Gpt open = withConstantGates(c, plain, 100f);       // σ(100) = 1 in float32: x + 1·F
            int[] ids = TinyModels.tokens(4, 6, c.vocabSize());
            assertThat(open.logits(ids, 1, 6).maxAbsDiff(plain.logits(ids, 1, 6))).as("%s", g).isEqualTo(0f);
        }
    }

    @Test
    void highwayWithTheGateShutIsTheIdentityAndFullyOpenIsTransformOnly() {
        for (HighwaySettings.Mode mode : HighwaySettings.Mode.values()) {
            GptConfig c = plain().withHighway(new HighwaySettings(EnumSet.allOf(HighwaySettings.Sublayer.class),
                    HighwaySettings.Gate.SCALAR, mode, 0f));
            Gpt base = TinyModels.randomModel(c, 5);
            int[] ids = TinyModels.tokens(6, 7, c.vocabSize());

            // T ≡ 0: every block is the identity in both modes, the stream stays the embedding
            var shut = withConstantGates(c, base, -100f).runWithCache(ids).cache();
            Tensor x0 = sum(shut.get("hook_embed"), shut.get("hook_pos_embed"));
            assertThat(shut.get("blocks.1.hook_resid_post").maxAbsDiff(x0)).as("%s T≡0", mode).isLessThan(1e-6f);

            // T ≡ 1: highway writes F(x) over the stream; the gated residual is the plain block
            var open = withConstantGates(c, base, 100f).runWithCache(ids).cache();
            for (int l = 0; l < 2; l++) {
                Tensor mid = open.get("blocks." + l + ".hook_resid_mid"), post = open.get("blocks." + l + ".hook_resid_post");
                Tensor attn = open.get("blocks." + l + ".hook_attn_out"), mlp = open.get("blocks." + l + ".hook_mlp_out");
                Tensor pre = open.get("blocks." + l + ".hook_resid_pre");
                if (mode == HighwaySettings.Mode.HIGHWAY) {
                    assertThat(mid.maxAbsDiff(attn)).as("layer %d mid = F_attn", l).isEqualTo(0f);
                    assertThat(post.maxAbsDiff(mlp)).as("layer %d post = F_mlp", l).isEqualTo(0f);
                } else {
                    assertThat(mid.maxAbsDiff(sum(pre, attn))).isEqualTo(0f);
                    assertThat(post.maxAbsDiff(sum(mid, mlp))).isEqualTo(0f);
                }
            }
        }
    }

    private static Tensor sum(Tensor a, Tensor b) {
        return dev.loupe.tensor.ops.Ops.add(a.contiguous(), b.contiguous());
    }

    @Test
    void gateHooksHaveSpecShapesAndAnEditedGateChangesTheStream() {
        GptConfig vec = plain().withHighway(BOTH_VECTOR);
        GptConfig scalar = plain().withHighway(new HighwaySettings(EnumSet.of(HighwaySettings.Sublayer.MLP),
                HighwaySettings.Gate.SCALAR, HighwaySettings.Mode.HIGHWAY, -2f));
        var names = HookPoints.table(vec, 1, 4).stream().map(HookPoint::name).toList();
        assertThat(names).containsSubsequence("blocks.0.hook_attn_out", "blocks.0.hook_attn_gate", "blocks.0.hook_resid_mid",
                "blocks.0.hook_mlp_out", "blocks.0.hook_mlp_gate", "blocks.0.hook_resid_post");
        var scalarNames = HookPoints.table(scalar, 1, 4).stream().map(HookPoint::name).toList();
        assertThat(scalarNames).contains("blocks.1.hook_mlp_gate").doesNotContain("blocks.1.hook_attn_gate");
        assertThat(HookPoints.table(plain(), 1, 4).stream().map(HookPoint::name)).noneMatch(n -> n.contains("gate"));

        Gpt m = TinyModels.randomModel(vec, 8);
        int[] ids = TinyModels.tokens(9, 5, vec.vocabSize());
        var cache = m.runWithCache(ids).cache();
        Tensor t = cache.get("blocks.1.hook_attn_gate");
        assertThat(t.shape()).containsExactly(1, 5, vec.dModel());
        for (float v : t.toArray()) assertThat(v).isStrictlyBetween(0f, 1f);
        Gpt s = TinyModels.randomModel(scalar, 8);
        assertThat(s.runWithCache(ids).cache().get("blocks.0.hook_mlp_gate").shape()).containsExactly(1, 5, 1);

        // a hook that shuts layer 1's attention gate makes resid_mid equal resid_pre
        try (var h = m.hooks().add("blocks.1.hook_attn_gate", (a, n) -> a.fill(0f))) {
            var edited = m.runWithCache(ids).cache();
            assertThat(edited.get("blocks.1.hook_resid_mid").maxAbsDiff(edited.get("blocks.1.hook_resid_pre"))).isEqualTo(0f);
            assertThat(edited.get("blocks.1.hook_attn_gate").toArray()).containsOnly(0f);
        }
    }

    @Test
    void creationInitialisesTheGateBiasAndGateWeightsLikeTheOtherWeights() {
        GptConfig c = plain().withHighway(new HighwaySettings(EnumSet.allOf(HighwaySettings.Sublayer.class),
                HighwaySettings.Gate.VECTOR, HighwaySettings.Mode.HIGHWAY, -1.5f));
        Gpt m = Gpt.create(c, 1);
        assertThat(m.parameters().get("h.0.attn_gate.bias").toArray()).containsOnly(-1.5f);
        assertThat(m.parameters().get("h.1.mlp_gate.bias").toArray()).containsOnly(-1.5f);
        float[] w = m.parameters().get("h.0.mlp_gate.weight").toArray();
        double ss = 0;
        for (float v : w) ss += v * v;
        assertThat(Math.sqrt(ss / w.length)).isBetween(0.015, 0.025);          // N(0, 0.02)
        // and the gates start mostly closed: σ(−1.5) ≈ 0.18
        var cache = m.runWithCache(new int[] {1, 2, 3}).cache();
        for (float v : cache.get("blocks.0.hook_attn_gate").toArray()) assertThat(v).isBetween(0.1f, 0.3f);
    }

    @Test
    void aModelDirectoryRoundTripsTheSettingsAndTheFunction(@TempDir Path dir) {
        GptConfig c = plain().withHighway(new HighwaySettings(EnumSet.of(HighwaySettings.Sublayer.ATTN),
                HighwaySettings.Gate.SCALAR, HighwaySettings.Mode.GATED_RESIDUAL, -3f));
        Gpt m = TinyModels.randomModel(c, 12);
        ModelDirectory.write(dir, c, m.parameters());
        var loaded = ModelDirectory.read(dir);
        assertThat(loaded.config()).isEqualTo(c);
        Gpt back = Gpt.fromWeights(loaded.config(), loaded.weights());
        int[] ids = TinyModels.tokens(13, 6, c.vocabSize());
        assertThat(back.logits(ids, 1, 6).maxAbsDiff(m.logits(ids, 1, 6))).isEqualTo(0f);
    }

    @Test
    void anLlmcCheckpointIsRefusedRatherThanWrittenWithoutItsGates(@TempDir Path dir) {
        GptConfig c = new GptConfig(50, 16, 16, 1, 2, 64, 1e-5f, true, GptConfig.Norm.PRE, GptConfig.Mlp.GELU,
                GptConfig.Positional.LEARNED).withHighway(BOTH_VECTOR);
        Path file = dir.resolve("m.bin");
        assertThatThrownBy(() -> dev.loupe.model.io.LlmcCheckpoint.write(file, c, Gpt.create(c, 1).parameters()))
                .hasMessageContaining("highway gates");
        assertThat(file).doesNotExist();
    }

    @Test
    void highwayGatesRefuseAnythingButPreLn() {
        assertThatThrownBy(() -> plain().withNorm(GptConfig.Norm.POST).withHighway(BOTH_VECTOR))
                .hasMessageContaining("pre-LN");
    }
}
