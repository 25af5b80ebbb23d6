package dev.loupe.analysis.transforms;

import dev.loupe.LoupeException;
import dev.loupe.analysis.interventions.TestModels;
import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TransformsTest {

    /** A pre-LN model with every parameter random of order 1 (γ around 1, β, biases): nothing the transforms move hides. */
    static Gpt model(GptConfig.Mlp mlp, boolean tied, GptConfig.Positional pos, long seed) {
        GptConfig c = new GptConfig(13, 16, 12, 2, 3, 20, 1e-5f, tied, GptConfig.Norm.PRE, mlp, pos);
        Gpt gpt = Gpt.create(c, seed);
        long s = seed * 1000;
        for (Map.Entry<String, Tensor> e : gpt.parameters().entrySet()) {
            Tensor r = Tensor.randn(++s, 0.4f, e.getValue().shape());
            float[] d = e.getValue().contiguousData(), rd = r.contiguousData();
            boolean gain = e.getKey().contains("ln_") && e.getKey().endsWith("weight");
            for (int i = 0; i < d.length; i++) d[i] = (gain ? 1f : 0f) + rd[i];
        }
        return gpt;
    }

    static Stream<Arguments> variants() {
        return Stream.of(
                Arguments.of(GptConfig.Mlp.GELU, false, GptConfig.Positional.LEARNED),
                Arguments.of(GptConfig.Mlp.GELU, true, GptConfig.Positional.LEARNED),
                Arguments.of(GptConfig.Mlp.RELU, false, GptConfig.Positional.SINUSOIDAL),
                Arguments.of(GptConfig.Mlp.SWIGLU, true, GptConfig.Positional.NONE),
                Arguments.of(GptConfig.Mlp.NONE, false, GptConfig.Positional.LEARNED),
                Arguments.of(GptConfig.Mlp.NONE, true, GptConfig.Positional.NONE));
    }

    /** log-softmax of the logits [T·V], in double. */
    static double[] logProbs(Gpt gpt, int[] ids) {
        int v = gpt.config().vocabSize();
        float[] l = gpt.logits(ids, 1, ids.length).contiguousData();
        double[] out = new double[l.length];
        for (int t = 0; t < ids.length; t++) {
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int k = 0; k < v; k++) max = Math.max(max, l[t * v + k]);
            for (int k = 0; k < v; k++) sum += Math.exp(l[t * v + k] - max);
            for (int k = 0; k < v; k++) out[t * v + k] = l[t * v + k] - max - Math.log(sum);
        }
        return out;
    }

    static double maxDiff(double[] a, double[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }

    static double maxWeightDiff(Gpt a, Gpt b) {
        double m = 0;
        for (Map.Entry<String, Tensor> e : a.parameters().entrySet()) m = Math.max(m, e.getValue().maxAbsDiff(b.parameters().get(e.getKey())));
        return m;
    }

    @ParameterizedTest
    @MethodSource("variants")
    void foldingKeepsLogProbsAndIsReversible(GptConfig.Mlp mlp, boolean tied, GptConfig.Positional pos) {
        Gpt gpt = model(mlp, tied, pos, 11);
        int[] ids = TestModels.tokens(2, 10, 13);
        double[] before = logProbs(gpt, ids);
        Reversible r = LayerNormFolding.fold(gpt);
        // same affine maps regrouped: float32 rounding of order-10 logits
        assertThat(maxDiff(logProbs(r.model(), ids), before)).isLessThan(1e-3);
        assertThat(maxDiff(logProbs(gpt, ids), before)).isZero();   // the input model is untouched
        Map<String, Tensor> p = r.model().parameters();
        assertThat(p.get("h.1.ln_1.weight").toArray()).containsOnly(1f);
        assertThat(p.get("h.1.ln_1.bias").toArray()).containsOnly(0f);
        assertThat(p.get("h.0.attn.c_attn.weight").maxAbsDiff(gpt.parameters().get("h.0.attn.c_attn.weight"))).isGreaterThan(0.01f);
        assertThat(maxWeightDiff(r.invert(), gpt)).isLessThan(1e-4);
    }

    @ParameterizedTest
    @MethodSource("variants")
    void centringKeepsLogProbsAndIsReversible(GptConfig.Mlp mlp, boolean tied, GptConfig.Positional pos) {
        Gpt gpt = model(mlp, tied, pos, 12);
        int[] ids = TestModels.tokens(3, 10, 13);
        double[] before = logProbs(gpt, ids);
        Reversible r = WeightCentring.centre(gpt);
        assertThat(maxDiff(logProbs(r.model(), ids), before)).isLessThan(1e-3);
        Map<String, Tensor> p = r.model().parameters();
        for (String name : WeightCentring.writers(gpt.config())) {
            Tensor t = p.get(name);
            Tensor m = t.rank() == 1 ? t.reshape(1, t.dim(0)) : t;
            for (int i = 0; i < m.dim(0); i++) {
                double s = 0;
                for (int j = 0; j < m.dim(1); j++) s += m.get(i, j);
                assertThat(s / m.dim(1)).as(name + " row " + i).isCloseTo(0, org.assertj.core.data.Offset.offset(1e-6));
            }
        }
        assertThat(p.get("h.0.attn.c_attn.bias").slice(0, 24, 36).toArray()).containsOnly(0f);
        assertThat(maxWeightDiff(r.invert(), gpt)).isLessThan(1e-4);
    }

    @Test
    void foldThenCentreStillKeepsLogProbs() {
        Gpt gpt = model(GptConfig.Mlp.GELU, false, GptConfig.Positional.LEARNED, 13);
        int[] ids = TestModels.tokens(4, 12, 13);
        Gpt both = WeightCentring.centre(LayerNormFolding.fold(gpt).model()).model();
        assertThat(maxDiff(logProbs(both, ids), logProbs(gpt, ids))).isLessThan(1e-3);
    }

    @Test
    void postLnIsRefused() {
        Gpt gpt = TestModels.random(GptConfig.Norm.POST, GptConfig.Mlp.GELU, 3);
        assertThatThrownBy(() -> LayerNormFolding.fold(gpt)).isInstanceOf(LoupeException.class).hasMessageContaining("pre-LN");
        assertThatThrownBy(() -> WeightCentring.centre(gpt)).isInstanceOf(LoupeException.class).hasMessageContaining("pre-LN");
    }
}
