package dev.loupe.analysis.napkin;

import dev.loupe.LoupeException;
import dev.loupe.model.GptConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class ParameterCountTest {

    @ParameterizedTest
    @CsvSource({"gpt2, 124439808", "gpt2-medium, 354823168", "gpt2-large, 774030080", "gpt2-xl, 1557611200"})
    void publishedGpt2CountsExactly(String preset, long published) {
        assertThat(ParameterCount.of(Architecture.preset(preset)).total()).isEqualTo(published);
    }

    @Test
    void gpt3IsAbout175Billion() {
        assertThat(ParameterCount.of(Architecture.preset("gpt3-175b")).total() / 1e9).isCloseTo(175, within(1.0));
    }

    @Test
    void seedExampleIsAbout2point5Billion() {
        Architecture a = Architecture.gpt2Style("seed", 50_000, 2048, 2048, 48, 16);
        ParameterCount p = ParameterCount.of(a);
        assertThat(p.seedApproximation()).isCloseTo(50_000 * 2048 + 48 * 12 * 2048.0 * 2048, within(1.0));
        assertThat(p.seedApproximation() / 1e9).isCloseTo(2.5, within(0.05));
        assertThat(p.total() / 1e9).isCloseTo(2.5, within(0.05));
    }

    /** The napkin count must agree with the tensors a model directory actually holds, for every variant. */
    @ParameterizedTest
    @CsvSource({"GELU, LEARNED, true", "RELU, SINUSOIDAL, false", "SWIGLU, NONE, true", "NONE, LEARNED, false"})
    void agreesWithTheTensorsOfAConfig(GptConfig.Mlp mlp, GptConfig.Positional pos, boolean tied) {
        GptConfig c = new GptConfig(97, 33, 48, 3, 4, 80, 1e-5f, tied, GptConfig.Norm.PRE, mlp, pos);
        long fromShapes = 0;
        for (Map.Entry<String, int[]> e : c.expectedShapes().entrySet()) {
            long n = 1;
            for (int s : e.getValue()) n *= s;
            fromShapes += n;
        }
        assertThat(ParameterCount.of(Architecture.of("t", c)).total()).isEqualTo(fromShapes);
    }

    @Test
    void mixtureOfExpertsCountsAllExpertsButActivatesTopK() {
        Architecture dense = Architecture.gpt2Style("d", 1000, 128, 64, 2, 2);
        Architecture moe = new Architecture("m", 1000, 128, 64, 2, 2, 256, true, false, false, true, 8, 2);
        ParameterCount d = ParameterCount.of(dense), m = ParameterCount.of(moe);
        assertThat(m.mlpPerLayer()).isEqualTo(8 * d.mlpPerLayer());
        assertThat(m.routerPerLayer()).isEqualTo(64 * 8);
        assertThat(m.activePerToken()).isEqualTo(m.total() - 2L * 6 * d.mlpPerExpert());
    }

    @Test
    void flopsFollowSixNPlusAttention() {
        ParameterCount p = ParameterCount.of(Architecture.preset("gpt2"));
        Flops f = Flops.at(p, 1024);
        // matmul weights: 12 layers × (attention + MLP) + the unembedding V·d
        double matmul = 12 * (p.attentionPerLayer() + p.mlpPerLayer()) + 50257.0 * 768;
        assertThat(f.matmulParams()).isCloseTo(matmul, within(1.0));
        assertThat(f.forwardPerToken()).isCloseTo(2 * matmul + 4.0 * 12 * 1024 * 768, within(1.0));
        assertThat(f.trainingPerToken()).isCloseTo(3 * f.forwardPerToken(), within(1.0));
    }

    @Test
    void kvCacheIsTwoLnd() {
        Architecture a = Architecture.preset("gpt2");
        ContextCost c = ContextCost.at(a, 1024, 2);
        assertThat(c.kvCacheNumbers()).isEqualTo(2L * 12 * 1024 * 768);
        assertThat(c.kvCacheBytes()).isEqualTo(2.0 * 2 * 12 * 1024 * 768);
        assertThat(ContextCost.table(a, 2)).hasSize(8).first().extracting(ContextCost::context).isEqualTo(1024L);
        assertThat(ContextCost.table(Architecture.gpt2Style("toy", 32, 64, 64, 2, 2), 2)).extracting(ContextCost::context)
                .containsExactly(1L, 2L, 4L, 8L, 16L, 32L, 64L);
        assertThat(ContextCost.table(Architecture.gpt2Style("toy", 32, 300, 64, 2, 2), 2)).extracting(ContextCost::context)
                .containsExactly(2L, 4L, 8L, 16L, 32L, 64L, 128L, 256L, 300L);
        // quadratic: doubling n multiplies the sequence's attention FLOPs by ≈ 4
        assertThat(ContextCost.at(a, 2048, 2).attentionFlopsPerSequence() / c.attentionFlopsPerSequence()).isCloseTo(4, within(0.01));
    }

    @Test
    void chinchillaAndSplits() {
        assertThat(ComputeBudget.chinchillaTokens(1_000_000)).isEqualTo(20_000_000);
        assertThat(ComputeBudget.splits(100)).extracting(ComputeBudget.Split::paramFactor).containsExactly(2.0, 4.0, 10.0);
    }

    @Test
    void suggestionsAreNearTheTargetAndWellShaped() {
        var list = ShapeAdvice.forParams(2.5e9, 50257, 2048, 5);
        assertThat(list).isNotEmpty();
        for (var s : list) {
            assertThat(Math.abs(s.params() / 2.5e9 - 1)).isLessThan(0.1);
            assertThat(s.dModel() % 128).isZero();
            assertThat(s.dModel() % s.heads()).isZero();
        }
    }

    @Test
    void adviceFlagsBadShapes() {
        Architecture bad = new Architecture("b", 50257, 1024, 300, 2, 7, 1200, true, false, false, true, 1, 1);   // not toy-sized (d ≥ 256)
        assertThat(String.join("\n", ShapeAdvice.remarks(bad))).contains("not a multiple of heads").contains("not a multiple of 64");
        assertThat(ShapeAdvice.remarks(Architecture.gpt2Style("ok", 50304, 1024, 768, 12, 12))).isEmpty();
        // a toy: only what is wrong at any size is said; no padding advice for a 32-symbol vocabulary
        assertThat(ShapeAdvice.remarks(Architecture.gpt2Style("toy", 32, 32, 64, 2, 2))).isEmpty();
        assertThat(ShapeAdvice.remarks(Architecture.gpt2Style("toy", 32, 32, 60, 2, 8))).singleElement().asString().contains("not a multiple of heads");
    }

    @Test
    void badSizesAreClearErrors() {
        assertThatThrownBy(() -> Architecture.gpt2Style("x", 0, 1, 1, 1, 1)).isInstanceOf(LoupeException.class).hasMessageContaining("--vocab");
        assertThatThrownBy(() -> Architecture.preset("gpt5")).hasMessageContaining("gpt2-medium");
    }

    @Test
    void trainingMemoryAddsUp() {
        ParameterCount p = ParameterCount.of(Architecture.preset("gpt2"));
        MemoryEstimate m = MemoryEstimate.of(p, 4, 256, 4);
        assertThat(m.weights()).isEqualTo(4.0 * p.total());
        assertThat(m.adamMoments()).isEqualTo(8.0 * p.total());
        assertThat(m.training()).isEqualTo(m.weights() + m.gradients() + m.adamMoments() + m.activations());
        assertThat(m.kvCache()).isEqualTo(2.0 * 12 * 256 * 768 * 4 * 4);
    }
}
