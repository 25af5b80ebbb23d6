package dev.loupe.analysis.circuits;

import dev.loupe.analysis.decomposition.ResidualDecomposition;
import dev.loupe.analysis.interventions.TestModels;
import dev.loupe.model.Gpt;
import dev.loupe.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Weight-only analyses on a model held in bfloat16 ({@code --weights bf16}) read its exact float32
 * widening, so they equal the same analyses of a float32 model over the bfloat16-rounded weights (up
 * to float32 sums in another order: the widened copies are contiguous where the float32 views are
 * strided), and stay within bfloat16 rounding of the original float32 model: copying, matching and
 * composition scores (all in [−1, 1] or [0, 1]) move by a few 2^-8 at most, well under 0.05.
 */
class Bf16CircuitsTest {
    /** The float32 model over exactly the weights {@code half} holds: its vectors, and its bfloat16 matrices widened. */
    static Gpt rounded(Gpt half) {
        Map<String, Tensor> w = new LinkedHashMap<>(half.parameters());
        half.bf16Matrices().forEach((name, m) -> w.put(name, m.toTensor()));
        return Gpt.fromWeights(half.config(), w);
    }

    @ParameterizedTest(name = "tied {0}")
    @ValueSource(booleans = {true, false})
    void headCircuitsAndCompositionDescribeTheRoundedWeights(boolean tied) {
        Gpt f32 = HeadCircuitsTest.model(tied, 41), half = f32.toBf16();
        HeadCircuits onHalf = new HeadCircuits(half), onRounded = new HeadCircuits(rounded(half)), onF32 = new HeadCircuits(f32);
        CompositionScores sHalf = CompositionScores.compute(onHalf), sRounded = CompositionScores.compute(onRounded),
                sF32 = CompositionScores.compute(onF32);
        for (HeadId h : onHalf.allHeads()) {
            double copying = onHalf.ovCopyingScore(h.layer(), h.head()), matching = onHalf.qkMatchingScore(h.layer(), h.head());
            assertThat(copying).as("%s copying", h).isCloseTo(onRounded.ovCopyingScore(h.layer(), h.head()), within(1e-5))
                    .isCloseTo(onF32.ovCopyingScore(h.layer(), h.head()), within(0.05));
            assertThat(matching).as("%s matching", h).isCloseTo(onRounded.qkMatchingScore(h.layer(), h.head()), within(1e-5))
                    .isCloseTo(onF32.qkMatchingScore(h.layer(), h.head()), within(0.05));
            assertThat(onHalf.fullOv(h.layer(), h.head()).left().maxAbsDiff(onRounded.fullOv(h.layer(), h.head()).left()))
                    .as("%s W_E·W_V", h).isLessThan(1e-6f);
        }
        for (CompositionScores.Pair p : sHalf.pairs()) {
            for (Composition kind : Composition.values()) {
                assertThat(p.get(kind)).as("%s %s → %s", kind, p.from(), p.to())
                        .isCloseTo(sRounded.score(kind, p.from(), p.to()), within(1e-5))
                        .isCloseTo(sF32.score(kind, p.from(), p.to()), within(0.05));
            }
        }
    }

    @ParameterizedTest(name = "tied {0}")
    @ValueSource(booleans = {true, false})
    void directLogitAttributionReadsTheBfloat16Unembedding(boolean tied) {
        Gpt f32 = HeadCircuitsTest.model(tied, 43), half = f32.toBf16(), same = rounded(half);
        int[] ids = TestModels.tokens(44, 7, f32.config().vocabSize());
        ResidualDecomposition a = ResidualDecomposition.compute(half, ids), b = ResidualDecomposition.compute(same, ids);
        for (int token : new int[] {0, 5, f32.config().vocabSize() - 1}) {
            double[] x = a.directLogitAttribution(6, token), y = b.directLogitAttribution(6, token);
            for (int k = 0; k < x.length; k++) assertThat(x[k]).as("component %d, token %d", k, token).isCloseTo(y[k], within(1e-4));
            assertThat(a.lnBiasTerm(token)).isCloseTo(b.lnBiasTerm(token), within(1e-6));
            double sum = a.lnBiasTerm(token);
            for (double v : x) sum += v;
            assertThat(sum).as("attributions add up to the bf16 model's logit").isCloseTo(a.logits().get(6, token), within(1e-3));
        }
    }
}
