package dev.loupe.model;

import dev.loupe.LoupeException;
import dev.loupe.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class Bf16AccuracyTest {
    @Test
    void comparesLogitsTopOneAndGreedyContinuationsWithTheFloat32Model() {
        GptConfig c = GptConfig.gpt2(97, 48, 32, 2, 4);
        Gpt m = TinyModels.randomModel(c, 9);
        int[] ids = TinyModels.tokens(10, 40, c.vocabSize());
        Bf16Accuracy a = Bf16Accuracy.measure(m, ids, 8, 6);
        Tensor f32 = m.logits(ids, 1, ids.length), bf16 = m.toBf16().logits(ids, 1, ids.length);
        assertThat(a.maxAbsError()).isEqualTo((double) bf16.maxAbsDiff(f32)).isPositive();
        assertThat(a.meanAbsError()).isPositive().isLessThanOrEqualTo(a.maxAbsError());
        assertThat(a.positions()).isEqualTo(40);
        assertThat(a.top1Agreement()).isBetween(0.0, 1.0);
        assertThat(a.logitStd()).isPositive();
        assertThat(a.greedySame()).isBetween(0, 6);
        assertThat(a.greedyTokens()).isEqualTo(6);
        // a model compared with itself in float32 would agree everywhere: the bf16 one nearly so here
        assertThat(a.top1Agreement()).isGreaterThan(0.9);
        assertThatThrownBy(() -> Bf16Accuracy.measure(m.toBf16(), ids, 8, 6)).isInstanceOf(LoupeException.class);
        assertThatThrownBy(() -> Bf16Accuracy.measure(m, ids, 41, 6)).isInstanceOf(LoupeException.class);
    }
}
