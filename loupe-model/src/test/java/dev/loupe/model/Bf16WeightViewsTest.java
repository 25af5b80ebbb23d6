package dev.loupe.model;

import dev.loupe.tensor.Tensor;
import dev.loupe.tensor.bf16.BFloat16;
import dev.loupe.tensor.bf16.Bf16Matrix;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The float32 views analyses read of a model held in bfloat16 ({@link Gpt#toBf16}): per-head
 * W_Q/W_K/W_V/W_O, the MLP's weights, W_E, W_U and one row of W_U. Each must be exactly the
 * widening of the bfloat16 values the model holds (element by element against
 * {@link Bf16Matrix#get}), hence exactly the float32 model's view rounded to bfloat16 — within half
 * a bfloat16 ulp of it (at most 2^-8 relative: 8 significant bits) — and a copy the caller owns: editing it leaves the model as
 * it was.
 */
class Bf16WeightViewsTest {
    static List<GptConfig> variants() {
        return List.of(
                TinyModels.config(GptConfig.Positional.LEARNED, GptConfig.Norm.PRE, GptConfig.Mlp.GELU, true, 2),
                TinyModels.config(GptConfig.Positional.SINUSOIDAL, GptConfig.Norm.POST, GptConfig.Mlp.SWIGLU, false, 2));
    }

    @ParameterizedTest(name = "{index}: {0}")
    @MethodSource("variants")
    void everyViewIsTheExactWideningOfTheBfloat16Weights(GptConfig c) {
        Gpt f32 = TinyModels.randomModel(c, 31), half = f32.toBf16();
        int d = c.dModel(), dHead = d / c.nHead();
        for (int l = 0; l < c.nLayer(); l++) {
            Attention a = f32.blocks[l].attn, b = half.blocks[l].attn;
            Bf16Matrix qkv = half.bf16Matrices().get("h." + l + ".attn.c_attn.weight");
            Bf16Matrix proj = half.bf16Matrices().get("h." + l + ".attn.c_proj.weight");
            for (int h = 0; h < c.nHead(); h++) {
                String at = "L" + l + "H" + h;
                assertWidening(b.wQ(h), qkv, 0, h * dHead, a.wQ(h), at + " W_Q");
                assertWidening(b.wK(h), qkv, 0, d + h * dHead, a.wK(h), at + " W_K");
                assertWidening(b.wV(h), qkv, 0, 2 * d + h * dHead, a.wV(h), at + " W_V");
                assertWidening(b.wO(h), proj, h * dHead, 0, a.wO(h), at + " W_O");
            }
            assertWidening(half.blocks[l].mlp.fc.weightFloat32(), half.bf16Matrices().get("h." + l + ".mlp.c_fc.weight"), 0, 0,
                    f32.blocks[l].mlp.fc.weight, "L" + l + " W_in");
            assertWidening(half.blocks[l].mlp.proj.weightFloat32(), half.bf16Matrices().get("h." + l + ".mlp.c_proj.weight"), 0, 0,
                    f32.blocks[l].mlp.proj.weight, "L" + l + " W_out");
        }
        assertWidening(half.embedding.weightFloat32(), half.bf16Matrices().get("wte.weight"), 0, 0, f32.embedding.weight, "W_E");
        Bf16Matrix wu = half.bf16Matrices().get(c.tied() ? "wte.weight" : "lm_head.weight");
        assertWidening(half.unembedding.weightFloat32(), wu, 0, 0, f32.unembedding.weight, "W_U");
        int token = c.vocabSize() - 2;
        assertWidening(half.unembedding.rowFloat32(token).reshape(1, d), wu, token, 0,
                f32.unembedding.weight.slice(0, token, token + 1), "W_U row");
        assertThat(f32.unembedding.rowFloat32(token).toArray()).containsExactly(f32.unembedding.weight.select(0, token).toArray());
    }

    @ParameterizedTest(name = "{index}: {0}")
    @MethodSource("variants")
    void viewsAreCopiesSoEditingThemLeavesTheModelAsItWas(GptConfig c) {
        Gpt half = TinyModels.randomModel(c, 33).toBf16();
        int[] ids = TinyModels.tokens(34, c.nPositions(), c.vocabSize());
        Tensor before = half.logits(ids, 1, ids.length).copy();
        half.blocks[0].attn.wQ(0).fill(7f);
        half.blocks[1].attn.wO(1).fill(7f);
        half.embedding.weightFloat32().fill(7f);
        half.unembedding.rowFloat32(1).fill(7f);
        assertThat(half.logits(ids, 1, ids.length).toArray()).containsExactly(before.toArray());
        assertThat(half.embedding.weightFloat32()).isNotSameAs(half.embedding.weightFloat32());   // widened per call, never kept
    }

    /**
     * {@code got} [r, c] equals block [row0 …, col0 …] of the bfloat16 matrix element by element, and
     * {@code f32} (the float32 model's same view) rounded to bfloat16 — so within 2^-8 of it, relatively.
     */
    private static void assertWidening(Tensor got, Bf16Matrix m, int row0, int col0, Tensor f32, String what) {
        assertThat(got.shape()).as(what).containsExactly(f32.shape());
        for (int r = 0; r < got.dim(0); r++) {
            for (int k = 0; k < got.dim(1); k++) {
                float g = got.get(r, k), f = f32.get(r, k);
                assertThat(g).as("%s [%d, %d]", what, r, k).isEqualTo(m.get(row0 + r, col0 + k)).isEqualTo(BFloat16.round(f));
                assertThat((double) Math.abs(g - f)).as("%s [%d, %d]", what, r, k).isLessThanOrEqualTo(Math.abs(f) / 256.0);
            }
        }
    }
}
