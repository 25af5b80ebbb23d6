package dev.loupe.train;

import dev.loupe.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class GradientNormTest {
    @Test
    void globalNormOverAllTensorsAndClipping() {
        Map<String, Tensor> g = new LinkedHashMap<>();
        g.put("a", Tensor.of(new float[] {3, 0}, 2));
        g.put("b", Tensor.of(new float[] {0, 4, 0, 0}, 2, 2));
        double norm = GradientNorm.checkedNorm(g, 1);
        assertThat(norm).isEqualTo(5.0);
        float coef = GradientNorm.clip(g, 1.0, norm);
        assertThat(coef).isCloseTo(1f / 5f, within(1e-6f));
        assertThat(GradientNorm.checkedNorm(g, 1)).isCloseTo(1.0, within(1e-6));
        assertThat(GradientNorm.clip(g, 10.0, 1.0)).isEqualTo(1f);
        assertThat(g.get("a").get(0)).isCloseTo(0.6f, within(1e-6f));
    }

    @Test
    void largeTensorMatchesDoubleSum() {
        Tensor t = Tensor.randn(9, 1f, 3, 10007);
        double expected = 0;
        for (float x : t.data()) expected += (double) x * x;
        assertThat(GradientNorm.sumOfSquares(t)).isCloseTo(expected, within(expected * 1e-6));
    }

    @Test
    void namesTheTensorHoldingANaN() {
        Map<String, Tensor> g = new LinkedHashMap<>();
        g.put("wte.weight", Tensor.zeros(4, 4));
        g.put("h.0.attn.c_attn.bias", Tensor.zeros(12));
        g.get("h.0.attn.c_attn.bias").set(Float.POSITIVE_INFINITY, 7);
        assertThatThrownBy(() -> GradientNorm.checkedNorm(g, 42))
                .isInstanceOf(NonFiniteException.class)
                .hasMessageContaining("step 42").hasMessageContaining("h.0.attn.c_attn.bias");
    }
}
