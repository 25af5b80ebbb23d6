package dev.loupe.analysis.circuits;

import dev.loupe.LoupeException;
import dev.loupe.analysis.interventions.TestModels;
import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PathExpansionTest {

    /** An attention-only pre-LN model with every parameter random of order 1 (biases, γ, β too): no term hides. */
    static Gpt attentionOnly(int layers, long seed) {
        GptConfig c = new GptConfig(13, 16, 12, layers, 3, 20, 1e-5f, false, GptConfig.Norm.PRE, GptConfig.Mlp.NONE,
                GptConfig.Positional.LEARNED);
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

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 3})
    void termsSumToTheModelsLogits(int layers) {
        Gpt gpt = attentionOnly(layers, 7 + layers);
        int[] ids = TestModels.tokens(3, 11, 13);
        PathExpansion p = PathExpansion.compute(gpt, ids);
        Tensor model = p.modelLogits(), sum = p.sumOfLogits();
        float scale = 0;
        for (float f : model.contiguousData()) scale = Math.max(scale, Math.abs(f));
        // float32 rounding of O(d·(1+H)^L) products of order-1 values: 1e-4 relative to the largest logit
        assertThat(sum.maxAbsDiff(model)).isLessThan(1e-4f * Math.max(1f, scale));
        assertThat(scale).isGreaterThan(1f);
    }

    @Test
    void twoLayersHaveOneTermPerHeadAndPerPairOfHeads() {
        PathExpansion p = PathExpansion.compute(attentionOnly(2, 5), TestModels.tokens(4, 9, 13));
        long heads = p.terms().stream().filter(t -> t.kind() == PathExpansion.Kind.HEAD).count();
        long virtual = p.terms().stream().filter(t -> t.kind() == PathExpansion.Kind.VIRTUAL_HEAD).count();
        assertThat(heads).isEqualTo(6);
        assertThat(virtual).isEqualTo(9);
        assertThat(p.terms().get(0).label()).isEqualTo("direct");
        assertThat(p.terms()).extracting(PathExpansion.Term::label).contains("L0H2→L1H1", "bias L0→L1H0", "bias L1");
        assertThat(p.logitNorms()).hasSize(p.terms().size());
        for (double n : p.logitNorms()) assertThat(n).isPositive();
    }

    @Test
    void aHeadWithZeroOutputWeightsContributesNothingOnAnyPath() {
        Gpt gpt = attentionOnly(2, 9);
        gpt.blocks[0].attn.wO(1).fill(0f);
        PathExpansion p = PathExpansion.compute(gpt, TestModels.tokens(5, 8, 13));
        double[] norms = p.logitNorms();
        for (int k = 0; k < norms.length; k++) {
            boolean through = p.terms().get(k).heads().contains(new HeadId(0, 1));
            if (through) assertThat(norms[k]).isZero();
            else if (p.terms().get(k).kind() != PathExpansion.Kind.BIAS) assertThat(norms[k]).isPositive();
        }
    }

    @Test
    void modelsWithMlpsAreRefused() {
        Gpt gpt = TestModels.random(GptConfig.Norm.PRE, GptConfig.Mlp.GELU, 1);
        assertThatThrownBy(() -> PathExpansion.compute(gpt, new int[] {1, 2})).isInstanceOf(LoupeException.class)
                .hasMessageContaining("attention-only");
    }
}
