package dev.loupe.analysis.circuits;

import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.NormOps_DDRM;
import org.junit.jupiter.api.Test;

import static dev.loupe.analysis.circuits.HeadCircuitsTest.mult;
import static dev.loupe.analysis.circuits.HeadCircuitsTest.raw;
import static dev.loupe.analysis.circuits.HeadCircuitsTest.t;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * Composition scores against ‖L·R‖_F / (‖L‖_F‖R‖_F) on the materialised d_model × d_model matrices,
 * in float64, with L and R exactly as the Javadoc of {@link Composition} states them.
 */
class CompositionTest {
    static Gpt model(long seed) {
        GptConfig c = new GptConfig(29, 8, 24, 3, 3, 0, 1e-5f, true, GptConfig.Norm.PRE, GptConfig.Mlp.NONE,
                GptConfig.Positional.LEARNED);
        return Gpt.create(c, seed);
    }

    /** The textbook definition on dense float64 matrices. */
    static double direct(Gpt gpt, Composition kind, HeadId from, HeadId to) {
        HeadCircuitsTest.Raw w1 = raw(gpt, from.layer(), from.head()), w2 = raw(gpt, to.layer(), to.head());
        DMatrixRMaj l = mult(w1.v(), w1.o());
        DMatrixRMaj r = switch (kind) {
            case Q -> mult(w2.q(), t(w2.k()));
            case K -> mult(w2.k(), t(w2.q()));
            case V -> mult(w2.v(), w2.o());
        };
        return NormOps_DDRM.normF(mult(l, r)) / (NormOps_DDRM.normF(l) * NormOps_DDRM.normF(r));
    }

    @Test
    void pairScoresAndTheBatchedTableEqualTheDirectDefinition() {
        Gpt gpt = model(1);
        HeadCircuits c = new HeadCircuits(gpt);
        CompositionScores all = CompositionScores.compute(c);
        int pairs = 0;
        for (CompositionScores.Pair p : all.pairs()) {
            for (Composition kind : Composition.values()) {
                double expected = direct(gpt, kind, p.from(), p.to());
                assertThat(kind.score(c, p.from().layer(), p.from().head(), p.to().layer(), p.to().head()))
                        .as("%s %s→%s", kind, p.from(), p.to()).isCloseTo(expected, within(1e-5));
                assertThat(p.get(kind)).as("batched %s %s→%s", kind, p.from(), p.to()).isCloseTo(expected, within(1e-5));
                assertThat(all.score(kind, p.from(), p.to())).isEqualTo(p.get(kind));
            }
            pairs++;
        }
        assertThat(pairs).isEqualTo(3 * 3 + 3 * 3 + 3 * 3);     // (0→1), (0→2), (1→2), 3 × 3 heads each
        assertThat(all.table(Composition.K, 0, 2)[1][2]).isEqualTo(all.score(Composition.K, new HeadId(0, 1), new HeadId(2, 2)));
        assertThatThrownBy(() -> all.score(Composition.Q, new HeadId(1, 0), new HeadId(1, 1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("later layer");
        // the three kinds really differ (a swapped Q/K or L/R would make two of them coincide)
        CompositionScores.Pair p = all.pairs().get(4);
        assertThat(p.q()).isNotCloseTo(p.k(), within(1e-4));
        assertThat(p.q()).isNotCloseTo(p.v(), within(1e-4));
    }

    @Test
    void aHeadWritingWhereAKeyReadsStandsFarAboveTheRandomBaseline() {
        Gpt gpt = model(2);
        // L0H1 writes exactly into the subspace L2H0's keys read: W_O^{0,1} = W_K^{2,0}ᵀ
        gpt.blocks[2].attn.wK(0).transpose(0, 1).copyInto(gpt.blocks[0].attn.wO(1));
        HeadCircuits c = new HeadCircuits(gpt);
        CompositionScores all = CompositionScores.compute(c);
        CompositionBaseline base = CompositionBaseline.of(Composition.K, c.dModel(), c.dHead(), 32, 1);
        double built = all.score(Composition.K, new HeadId(0, 1), new HeadId(2, 0));
        assertThat(base.zScore(built)).isGreaterThan(5);
        for (CompositionScores.Pair p : all.pairs()) {
            if (!p.from().equals(new HeadId(0, 1)) || !p.to().equals(new HeadId(2, 0))) assertThat(p.k()).isLessThan(built);
        }
    }

    @Test
    void theBaselineIsSeededAndMatchesAnUntrainedModelOfTheSameShape() {
        CompositionBaseline a = CompositionBaseline.of(Composition.V, 24, 8, 32, 9), b = CompositionBaseline.of(Composition.V, 24, 8, 32, 9);
        assertThat(a).isEqualTo(b);
        assertThat(a.mean()).isBetween(0.0, 1.0);
        assertThat(a.std()).isPositive();
        assertThat(a.draws()).isEqualTo(32);
        assertThat(CompositionBaseline.of(Composition.V, 24, 8, 32, 10)).isNotEqualTo(a);
        // GPT-2's initialisation draws every head's factors i.i.d. Gaussian, exactly the baseline's model:
        // the mean score over all pairs of an untrained model must sit within the baseline's spread.
        Gpt gpt = model(3);
        CompositionScores all = CompositionScores.compute(new HeadCircuits(gpt));
        for (Composition kind : Composition.values()) {
            CompositionBaseline base = CompositionBaseline.of(kind, 24, 8, 64, 4);
            double mean = all.pairs().stream().mapToDouble(p -> p.get(kind)).average().orElseThrow();
            assertThat(mean).as("%s", kind).isCloseTo(base.mean(), within(base.std()));
        }
        assertThatThrownBy(() -> CompositionBaseline.of(Composition.Q, 24, 8, 1, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
