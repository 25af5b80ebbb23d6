package dev.loupe.sae;

import dev.loupe.LoupeException;
import dev.loupe.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * The forward pass of each architecture against the formulas evaluated loop by loop in double
 * precision. Tolerance 1e-4 absolute: values are O(1) and sums have ≤ 24 float32 terms, so the
 * rounding is ~1e-6; a missing b_dec, a transposed weight or a wrong activation is off by ≥ 1e-2.
 */
class SparseAutoencoderTest {

    @ParameterizedTest
    @EnumSource(Architecture.class)
    void forwardMatchesTheFormulas(Architecture arch) {
        SparseAutoencoder sae = SaeFixtures.random(arch, 6, 24, 4, 11);
        Tensor x = Tensor.randn(99, 1f, 7, 6);
        double[][] acts = new double[7][];
        double[][] expected = SaeFixtures.naiveRecons(sae, x, acts);
        SparseAutoencoder.Forward fw = sae.run(x);
        for (int r = 0; r < 7; r++) {
            for (int i = 0; i < 6; i++) assertThat((double) fw.recons().get(r, i)).isCloseTo(expected[r][i], within(1e-4));
            for (int j = 0; j < 24; j++) assertThat((double) fw.acts().get(r, j)).isCloseTo(acts[r][j], within(1e-4));
        }
        assertThat(sae.encode(x).maxAbsDiff(fw.acts())).isZero();
        assertThat(sae.decode(fw.acts()).maxAbsDiff(fw.recons())).isZero();
    }

    @Test
    void topkKeepsAtMostKActiveLatentsPerToken() {
        SparseAutoencoder sae = SaeFixtures.random(Architecture.TOPK, 8, 64, 5, 3);
        Tensor f = sae.encode(Tensor.randn(4, 1f, 10, 8));
        for (int r = 0; r < 10; r++) {
            int active = 0;
            for (int j = 0; j < 64; j++) if (f.get(r, j) != 0) active++;
            assertThat(active).isBetween(1, 5);
        }
    }

    @Test
    void leadingDimensionsArePreserved() {
        SparseAutoencoder sae = SaeFixtures.random(Architecture.STANDARD, 4, 8, 0, 5);
        Tensor x = Tensor.randn(1, 1f, 2, 3, 4);
        assertThat(sae.encode(x).shape()).containsExactly(2, 3, 8);
        assertThat(sae.forward(x).shape()).containsExactly(2, 3, 4);
        assertThat(sae.forward(x).reshape(6, 4).maxAbsDiff(sae.forward(x.reshape(6, 4)))).isZero();
    }

    @Test
    void applyBDecToInputFalseEncodesTheRawInput() {
        SparseAutoencoder base = SaeFixtures.random(Architecture.STANDARD, 5, 10, 0, 8);
        SaeConfig c = base.config();
        SaeConfig noSub = new SaeConfig(c.architecture(), c.dIn(), c.dSae(), 0, false, "none", "none", "float32", "cpu", c.metadata());
        SparseAutoencoder sae = SparseAutoencoder.of(noSub, base.wEnc(), base.bEnc(), base.wDec(), base.bDec(), null);
        Tensor x = Tensor.randn(2, 1f, 3, 5);
        double[][] expected = SaeFixtures.naiveRecons(sae, x, null);
        Tensor got = sae.forward(x);
        for (int r = 0; r < 3; r++) for (int i = 0; i < 5; i++) assertThat((double) got.get(r, i)).isCloseTo(expected[r][i], within(1e-4));
        assertThat(got.maxAbsDiff(base.forward(x))).isGreaterThan(1e-3f);
    }

    @Test
    void foldingTheInputScaleKeepsTheFunctionOfRawActivations() {
        SparseAutoencoder base = SaeFixtures.random(Architecture.STANDARD, 6, 12, 0, 21);
        SparseAutoencoder scaled = SparseAutoencoder.of(base.config().withNormalizeActivations(SaeConfig.NORMALIZE_EXPECTED_AVERAGE),
                base.wEnc(), base.bEnc(), base.wDec(), base.bDec(), null, 3.5f);
        SparseAutoencoder folded = scaled.folded();
        assertThat(folded.inputScale()).isEqualTo(1f);
        assertThat(folded.config().normalizeActivations()).isEqualTo("none");
        Tensor x = Tensor.randn(5, 1f, 9, 6);
        assertThat(folded.forward(x).maxAbsDiff(scaled.forward(x))).isLessThan(1e-5f);
        assertThat(folded.encode(x).maxAbsDiff(scaled.encode(x))).isLessThan(1e-5f);
        assertThat(scaled.forward(x).maxAbsDiff(base.forward(x))).isGreaterThan(1e-2f);
    }

    @Test
    void badWeightsAreRefusedWithTheTensorName() {
        SaeConfig cfg = SaeConfig.of(Architecture.STANDARD, 4, 8, 0, null);
        Tensor nan = Tensor.zeros(4, 8);
        nan.set(Float.NaN, 1, 2);
        assertThatThrownBy(() -> SparseAutoencoder.of(cfg, nan, Tensor.zeros(8), Tensor.zeros(8, 4), Tensor.zeros(4), null))
                .isInstanceOf(LoupeException.class).hasMessageContaining("W_enc").hasMessageContaining("NaN");
        assertThatThrownBy(() -> SparseAutoencoder.of(cfg, Tensor.zeros(4, 8), Tensor.zeros(8), Tensor.zeros(4, 8), Tensor.zeros(4), null))
                .isInstanceOf(LoupeException.class).hasMessageContaining("W_dec").hasMessageContaining("[8, 4]");
        SaeConfig jr = SaeConfig.of(Architecture.JUMPRELU, 4, 8, 0, null);
        assertThatThrownBy(() -> SparseAutoencoder.of(jr, Tensor.zeros(4, 8), Tensor.zeros(8), Tensor.zeros(8, 4), Tensor.zeros(4), null))
                .isInstanceOf(LoupeException.class).hasMessageContaining("threshold");
        assertThatThrownBy(() -> SaeFixtures.random(Architecture.STANDARD, 4, 8, 0, 1).forward(Tensor.zeros(2, 5)))
                .isInstanceOf(LoupeException.class).hasMessageContaining("d_in 4");
    }
}
