package dev.loupe.analysis.moe;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Co-activation counts and mutual information on routings whose answers are known by hand. */
class CoActivationTest {
    private static LayerRouting topOne(int layer, int experts, int... chosen) {
        float[] w = new float[chosen.length];
        java.util.Arrays.fill(w, 1);
        return new LayerRouting(layer, experts, new float[chosen.length * experts], chosen, w);
    }

    @Test
    void aPipelineOfExpertsCarriesOneBitAndIndependentChoicesNone() {
        CoActivation pipeline = new CoActivation(0, 2, 1, 2);
        pipeline.add(topOne(0, 2, 0, 0, 1, 1), topOne(1, 2, 1, 1, 0, 0));
        assertThat(pipeline.joint()).isDeepEqualTo(new long[][] {{0, 2}, {2, 0}});
        assertThat(pipeline.mutualInformationBits()).isCloseTo(1, within(1e-12));
        assertThat(pipeline.conditional()[0]).containsExactly(0.0, 1.0);

        CoActivation independent = new CoActivation(0, 2, 1, 2);
        independent.add(topOne(0, 2, 0, 0, 1, 1), topOne(1, 2, 0, 1, 0, 1));
        assertThat(independent.mutualInformationBits()).isCloseTo(0, within(1e-12));
    }

    @Test
    void topTwoTokensAddEveryPairOfTheirKeptExperts() {
        LayerRouting a = new LayerRouting(0, 3, new float[3], new int[] {0, 2}, new float[] {0.5f, 0.5f});
        LayerRouting b = new LayerRouting(1, 3, new float[3], new int[] {1, 2}, new float[] {0.7f, 0.3f});
        CoActivation c = new CoActivation(0, 3, 1, 3);
        c.add(a, b);
        assertThat(c.joint()).isDeepEqualTo(new long[][] {{0, 1, 1}, {0, 0, 0}, {0, 1, 1}});
        assertThat(c.conditional()[1]).containsExactly(0.0, 0.0, 0.0);
    }

    @Test
    void mutualInformationOfKnownJoints() {
        assertThat(MutualInformation.bits(new long[][] {{5, 0, 0}, {0, 5, 0}, {0, 0, 5}, {0, 0, 5}}))
                .isCloseTo(1.5, within(1e-12));            // Y = X merged: I = H(Y) = H(¼,¼,½) = 1.5 bits
        assertThat(MutualInformation.bits(new long[][] {{3, 3}, {1, 1}})).isCloseTo(0, within(1e-12));
        assertThat(MutualInformation.bits(new long[][] {{0, 0}, {0, 0}})).isZero();
        assertThat(MutualInformation.rowEntropyBits(new long[][] {{2, 0}, {1, 1}, {0, 4}})).isCloseTo(1.5, within(1e-12));
    }

    @Test
    void sourcesRoutedToExpertsOfTheirOwnCarryTheSourceEntropy() {
        LabelledRouting specialised = new LabelledRouting(0, 2, 3, false);
        specialised.add(topOne(0, 3, 0, 0, 2, 2), new byte[] {0, 0, 1, 1});
        assertThat(specialised.joint()).isDeepEqualTo(new long[][] {{2, 0, 0}, {0, 0, 2}});
        assertThat(specialised.mutualInformationBits()).isCloseTo(1, within(1e-12));
        assertThat(specialised.labelEntropyBits()).isCloseTo(1, within(1e-12));
        assertThat(specialised.purity()).containsExactly(1.0, 1.0);
        assertThat(specialised.shares()[1]).containsExactly(0.0, 0.0, 1.0);

        LabelledRouting blind = new LabelledRouting(0, 2, 3, false);
        blind.add(topOne(0, 3, 0, 1, 0, 1), new byte[] {0, 0, 1, 1});   // each source split evenly over E0 and E1
        assertThat(blind.mutualInformationBits()).isCloseTo(0, within(1e-12));
        assertThat(blind.purity()).containsExactly(0.5, 0.5);
    }

    @Test
    void firstChoiceCountsOneSlotPerTokenAllChoicesK() {
        LayerRouting r = new LayerRouting(0, 3, new float[6], new int[] {2, 0, 1, 0}, new float[] {0.6f, 0.4f, 0.7f, 0.3f});
        LabelledRouting first = new LabelledRouting(0, 2, 3, true), all = new LabelledRouting(0, 2, 3, false);
        first.add(r, new byte[] {0, 1});
        all.add(r, new byte[] {0, 1});
        assertThat(first.joint()).isDeepEqualTo(new long[][] {{0, 0, 1}, {0, 1, 0}});
        assertThat(first.mutualInformationBits()).isCloseTo(1, within(1e-12));
        assertThat(all.joint()).isDeepEqualTo(new long[][] {{1, 0, 1}, {1, 1, 0}});
        assertThat(all.mutualInformationBits()).isCloseTo(0.5, within(1e-12));   // H(E) 1.5 − H(E|S) 1
    }
}
