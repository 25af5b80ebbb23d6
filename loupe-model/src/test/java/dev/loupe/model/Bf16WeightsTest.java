package dev.loupe.model;

import dev.loupe.LoupeException;
import dev.loupe.tensor.Tensor;
import dev.loupe.tensor.bf16.BFloat16;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A model with bfloat16 weight matrices ({@link Gpt#toBf16}) against float32 models, for every
 * architecture variant and attention kind.
 *
 * <p>Two tolerances, two questions. (1) Is the plumbing exact? Against a float32 model holding the
 * same, bfloat16-rounded weights, the only difference is the order of float32 sums: 1e-4, the
 * tolerance of KV-cache decoding against the full forward (KvCacheTest). (2) How far is bfloat16
 * from float32? Each weight moves by at most 2^-8 of itself (half an ulp of 8 significant bits); a
 * product x·W then moves by at most 2^-8·Σ|x_p·w_p|, and with random rounding signs by about
 * 2^-8·sqrt(Σ(x_p·w_p)²). Through L blocks those relative errors add up to a few times 2^-8, so the
 * logits may move by a few × 2^-8 of their scale: we allow 2^-5 (3 %) of the largest |logit|, and
 * a bug (a wrong row, an unrounded activation, a dropped bias) moves them by their whole size.
 */
class Bf16WeightsTest {
    static List<GptConfig> variants() {
        List<GptConfig> all = new java.util.ArrayList<>(KvCacheTest.variants());
        // mixture-of-experts layers (router W_gate and every expert in bf16), alone and under highway gates
        GptConfig base = TinyModels.config(GptConfig.Positional.LEARNED, GptConfig.Norm.PRE, GptConfig.Mlp.GELU, true, 2);
        all.add(base.withMoe(MoeSettings.of(3, 2, 6)));
        all.add(TinyModels.config(GptConfig.Positional.LEARNED, GptConfig.Norm.PRE, GptConfig.Mlp.SWIGLU, false, 2).withMoe(new MoeSettings(4, 1, 5, null, 0.01f, 0.001f, null, List.of(0)))
                .withHighway(HighwaySettings.defaults()));
        return all;
    }

    /** The float32 model over exactly the weights {@code toBf16} holds (matrices rounded, the rest shared). */
    private static Gpt rounded(Gpt m) {
        Map<String, Tensor> w = new LinkedHashMap<>();
        m.parameters().forEach((name, t) -> {
            Tensor c = t.copy();
            if (Gpt.heldInBf16(m.config(), name)) {
                float[] d = c.contiguousData();
                for (int i = 0; i < d.length; i++) d[i] = BFloat16.round(d[i]);
            }
            w.put(name, c);
        });
        return Gpt.fromWeights(m.config(), w);
    }

    @ParameterizedTest(name = "{index}: {0}")
    @MethodSource("variants")
    void logitsEqualAFloat32ModelOverTheRoundedWeights(GptConfig c) {
        Gpt m = TinyModels.randomModel(c, 21);
        Gpt half = m.toBf16();
        assertThat(half.weightFormat()).isEqualTo(WeightFormat.BF16);
        int T = c.nPositions();
        int[] ids = TinyModels.tokens(22, 2 * T, c.vocabSize());
        Tensor expected = rounded(m).logits(ids, 2, T), got = half.logits(ids, 2, T);
        assertThat(got.maxAbsDiff(expected)).as(TinyModels.describe(c)).isLessThan(1e-4f);
    }

    @ParameterizedTest(name = "{index}: {0}")
    @MethodSource("variants")
    void cachedDecodingEqualsTheFullForward(GptConfig c) {
        Gpt half = TinyModels.randomModel(c, 23).toBf16();
        int T = c.nPositions();
        int[] ids = TinyModels.tokens(24, T, c.vocabSize());
        Tensor full = half.logits(ids, 1, T).reshape(T, c.vocabSize());
        KvCache cache = half.newCache(T);
        for (int t = 0; t < T; t++) {
            assertThat(half.decodeStep(ids[t], cache).maxAbsDiff(full.select(0, t)))
                    .as("%s position %d", TinyModels.describe(c), t).isLessThan(1e-4f);
        }
    }

    @Test
    void gpt2ShapedLogitsStayWithinTheBfloat16Bound() {
        GptConfig c = GptConfig.gpt2(503, 64, 96, 4, 4);
        Gpt m = Gpt.create(c, 5);
        int T = 64;
        int[] ids = TinyModels.tokens(6, T, c.vocabSize());
        Tensor f32 = m.logits(ids, 1, T), bf16 = m.toBf16().logits(ids, 1, T);
        float scale = 0;
        for (float v : f32.toArray()) scale = Math.max(scale, Math.abs(v));
        assertThat(bf16.maxAbsDiff(f32)).isLessThan(scale / 32).isGreaterThan(0f);   // rounded: close, not equal
    }

    @Test
    void hooksSeeFloat32ActivationsAndTrainingIsRefused() {
        GptConfig c = TinyModels.allVariants().getFirst();
        Gpt half = TinyModels.randomModel(c, 25).toBf16();
        int[] ids = TinyModels.tokens(26, c.nPositions(), c.vocabSize());
        Gpt.CachedRun run = half.runWithCache(ids);
        assertThat(run.cache().get("blocks.0.hook_resid_post")).isNotNull();
        assertThat(half.toBf16()).isSameAs(half);
        assertThat(half.bf16Matrices()).containsKey("wte.weight");
        assertThat(half.parameters()).doesNotContainKey("wte.weight");
        assertThatThrownBy(() -> half.forwardBackward(ids, ids, 1, ids.length)).isInstanceOf(LoupeException.class)
                .hasMessageContaining("inference only");
    }
}
