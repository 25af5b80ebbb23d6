package dev.loupe.experiments.superposition;

import dev.loupe.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The paper's measures on configurations whose answers are known: its geometry of dimension fractions. */
class SuperpositionMeasuresTest {

    /** W [m, n] from columns given as rows of {@code cols} [n][m]. */
    private static Tensor w(double[][] cols) {
        int n = cols.length, m = cols[0].length;
        float[] d = new float[m * n];
        for (int i = 0; i < n; i++) for (int r = 0; r < m; r++) d[r * n + i] = (float) cols[i][r];
        return Tensor.of(d, m, n);
    }

    @Test
    void orthogonalFeaturesHaveADimensionEachAndUnusedOnesNone() {
        SuperpositionMeasures s = SuperpositionMeasures.of(w(new double[][] {{1, 0}, {0, 1}, {0, 0}}));
        assertThat(s.norms()).containsExactly(1, 1, 0);
        assertThat(s.superposition()).containsExactly(0, 0, 0);
        assertThat(s.dimensionality()).containsExactly(1, 1, 0);
        assertThat(s.featuresRepresented()).isEqualTo(2);
        assertThat(s.dimensionsPerFeature()).isCloseTo(2.0 / 2, within(1e-12));   // m / ||W||_F² = 2 / 2
    }

    @Test
    void antipodalPairGetsHalfADimensionEach() {
        SuperpositionMeasures s = SuperpositionMeasures.of(w(new double[][] {{1}, {-1}}));
        assertThat(s.dimensionality()).containsExactly(0.5, 0.5);
        assertThat(s.superposition()).containsExactly(1, 1);
        assertThat(s.dimensionsPerFeature()).isCloseTo(0.5, within(1e-12));
    }

    /** Five unit vectors at 72° in a plane (a pentagon): D_i = 2/5 each, as the paper's figure marks. */
    @Test
    void pentagonGivesTwoFifths() {
        double[][] cols = new double[5][];
        for (int i = 0; i < 5; i++) cols[i] = new double[] {Math.cos(2 * Math.PI * i / 5), Math.sin(2 * Math.PI * i / 5)};
        SuperpositionMeasures s = SuperpositionMeasures.of(w(cols));
        for (double d : s.dimensionality()) assertThat(d).isCloseTo(2.0 / 5, within(1e-6));
        assertThat(s.dimensionsPerFeature()).isCloseTo(2.0 / 5, within(1e-6));
        // Σ_{j≠i} cos² = 5/2 − 1
        for (double x : s.superposition()) assertThat(x).isCloseTo(1.5, within(1e-6));
    }

    /** A triangle in a plane: 2/3; the measures scale-free in the direction, quadratic in the other norms. */
    @Test
    void triangleGivesTwoThirdsAndScalesWithTheOtherNorms() {
        double[][] cols = new double[3][];
        for (int i = 0; i < 3; i++) cols[i] = new double[] {Math.cos(2 * Math.PI * i / 3), Math.sin(2 * Math.PI * i / 3)};
        SuperpositionMeasures s = SuperpositionMeasures.of(w(cols));
        for (double d : s.dimensionality()) assertThat(d).isCloseTo(2.0 / 3, within(1e-6));
        cols[1] = new double[] {2 * cols[1][0], 2 * cols[1][1]};
        SuperpositionMeasures t = SuperpositionMeasures.of(w(cols));
        // feature 0: own 1, others (2·cos120°)² + cos²120° = 1 + 0.25
        assertThat(t.superposition()[0]).isCloseTo(1.25, within(1e-6));
        assertThat(t.dimensionality()[0]).isCloseTo(1 / 2.25, within(1e-6));
        assertThat(t.norms()[1]).isCloseTo(2, within(1e-6));
    }
}
