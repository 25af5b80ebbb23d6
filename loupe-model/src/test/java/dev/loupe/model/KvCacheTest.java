package dev.loupe.model;

import dev.loupe.LoupeException;
import dev.loupe.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Cached decoding must compute exactly the function of the full forward pass: every position's
 * logits, fed token by token or in chunks, equal the full forward's row to float32 rounding. Both
 * paths perform the same float32 operations in a different grouping (one row vs. T rows per product),
 * so they agree to a few ulps of the logits (|logit| ≲ 10 here): 1e-4 absolute, while a wrong
 * position, a stale cache row or a missing mask changes logits by O(0.1–1).
 */
class KvCacheTest {
    static List<GptConfig> variants() {
        List<GptConfig> all = new java.util.ArrayList<>(TinyModels.allVariants());
        all.addAll(TinyModels.attentionKindVariants());
        all.addAll(TinyModels.highwayVariants());
        return all;
    }

    @ParameterizedTest(name = "{index}: {0}")
    @MethodSource("variants")
    void tokenByTokenDecodingEqualsTheFullForward(GptConfig c) {
        Gpt m = TinyModels.randomModel(c, 11);
        int T = c.nPositions();
        int[] ids = TinyModels.tokens(12, T, c.vocabSize());
        Tensor full = m.logits(ids, 1, T).reshape(T, c.vocabSize());

        KvCache cache = m.newCache(T);
        for (int t = 0; t < T; t++) {
            Tensor step = m.decodeStep(ids[t], cache);
            assertThat(step.maxAbsDiff(full.select(0, t))).as("%s position %d", TinyModels.describe(c), t).isLessThan(1e-4f);
        }
        assertThat(cache.length()).isEqualTo(T);

        // A prompt in one chunk, then the rest in a second chunk.
        cache.clear();
        Tensor first = m.decode(java.util.Arrays.copyOf(ids, 3), cache);
        Tensor rest = m.decode(java.util.Arrays.copyOfRange(ids, 3, T), cache);
        assertThat(first.maxAbsDiff(full.slice(0, 0, 3))).isLessThan(1e-4f);
        assertThat(rest.maxAbsDiff(full.slice(0, 3, T))).isLessThan(1e-4f);
    }

    @Test
    void fullForwardMatchesTheFloat64Reference() {
        for (GptConfig c : TinyModels.allVariants()) {
            Gpt m = TinyModels.randomModel(c, 5);
            int[] ids = TinyModels.tokens(6, 2 * 6, c.vocabSize());
            Tensor logits = m.logits(ids, 2, 6);
            ReferenceGpt ref = new ReferenceGpt(c, m.parameters());
            for (int b = 0; b < 2; b++) {
                double[][] z = ref.sequenceLogits(java.util.Arrays.copyOfRange(ids, b * 6, b * 6 + 6));
                for (int t = 0; t < 6; t++) {
                    for (int v = 0; v < c.vocabSize(); v++) {
                        assertThat((double) logits.get(b, t, v)).as("%s [%d,%d,%d]", TinyModels.describe(c), b, t, v)
                                .isCloseTo(z[t][v], org.assertj.core.data.Offset.offset(1e-4));
                    }
                }
            }
        }
    }

    @Test
    void learnedPositionsRefuseContextBeyondNPositions() {
        GptConfig c = TinyModels.config(GptConfig.Positional.LEARNED, GptConfig.Norm.PRE, GptConfig.Mlp.GELU, true, 1);
        Gpt m = TinyModels.randomModel(c, 1);
        assertThatThrownBy(() -> m.newCache(c.nPositions() + 1))
                .isInstanceOf(LoupeException.class).hasMessageContaining("n_positions = 8");
        assertThatThrownBy(() -> m.forward(new int[9], 1, 9))
                .isInstanceOf(LoupeException.class).hasMessageContaining("exceeds the model's n_positions = 8");
        KvCache cache = m.newCache(8);
        m.decode(new int[8], cache);
        assertThatThrownBy(() -> m.decodeStep(0, cache))
                .isInstanceOf(LoupeException.class).hasMessageContaining("capacity of 8");
    }

    @Test
    void sinusoidalPositionsDecodeBeyondTheTable() {
        GptConfig c = TinyModels.config(GptConfig.Positional.SINUSOIDAL, GptConfig.Norm.PRE, GptConfig.Mlp.GELU, false, 1);
        Gpt m = TinyModels.randomModel(c, 2);
        int T = 12; // the precomputed table has 8 rows
        int[] ids = TinyModels.tokens(3, T, c.vocabSize());
        KvCache cache = m.newCache(T);
        Tensor cached = m.decode(ids, cache);
        ReferenceGpt ref = new ReferenceGpt(c, m.parameters());
        double[][] z = ref.sequenceLogits(ids);
        for (int t = 0; t < T; t++)
            for (int v = 0; v < c.vocabSize(); v++)
                assertThat((double) cached.get(t, v)).isCloseTo(z[t][v], org.assertj.core.data.Offset.offset(1e-4));
    }
}
