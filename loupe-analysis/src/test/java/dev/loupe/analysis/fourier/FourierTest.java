package dev.loupe.analysis.fourier;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** The Fourier basis of Z_p is orthonormal, labels its rows, and reads a spectrum; the Gini coefficient's known values. */
class FourierTest {

    @Test
    void theBasisIsOrthonormal() {
        for (int p : new int[] {3, 7, 113}) {
            double[][] f = Fourier.of(p).basis();
            for (int i = 0; i < p; i++)
                for (int j = 0; j < p; j++) {
                    double dot = 0;
                    for (int x = 0; x < p; x++) dot += f[i][x] * f[j][x];
                    assertThat(dot).as("p %d rows %d·%d", p, i, j).isCloseTo(i == j ? 1 : 0, within(1e-12));
                }
        }
    }

    @Test
    void rowsAreConstThenCosineAndSinePerFrequency() {
        Fourier f = Fourier.of(7);
        assertThat(f.label(0)).isEqualTo("const");
        assertThat(f.label(Fourier.cosRow(3))).isEqualTo("cos 3");
        assertThat(f.label(Fourier.sinRow(3))).isEqualTo("sin 3");
        assertThat(f.at(Fourier.cosRow(2), 1)).isCloseTo(Math.cos(2 * Math.PI * 2 / 7) * Math.sqrt(2.0 / 7), within(1e-12));
        assertThat(Fourier.frequencyOf(Fourier.sinRow(3))).isEqualTo(3);
        assertThatThrownBy(() -> Fourier.of(8)).hasMessageContaining("odd");
    }

    @Test
    void aPureFrequencyHasItsWholeNormThere() {
        int p = 11, k = 4;
        double[][] m = new double[p][2];                              // two columns: cos and a shifted cos at frequency k
        for (int x = 0; x < p; x++) {
            m[x][0] = 3 * Math.cos(2 * Math.PI * k * x / p);
            m[x][1] = Math.cos(2 * Math.PI * k * x / p + 0.7);
        }
        double[] norms = Fourier.of(p).frequencyNorms(m);
        double total = 0;
        for (double[] row : m) for (double v : row) total += v * v;
        for (int j = 1; j <= norms.length; j++) {
            assertThat(norms[j - 1]).as("frequency %d", j).isCloseTo(j == k ? Math.sqrt(total) : 0, within(1e-9));
        }
    }

    @Test
    void giniIsZeroForEqualValuesAndNearOneForOneSpike() {
        assertThat(Gini.of(new double[] {2, 2, 2, 2})).isCloseTo(0, within(1e-12));
        assertThat(Gini.of(new double[] {0, 0, 0, 5})).isCloseTo(0.75, within(1e-12));   // (n − 1)/n
        assertThat(Gini.of(new double[] {1, 2, 3})).isCloseTo(2.0 / 9, within(1e-12));   // Σ(2i−n−1)x / (nΣx) = (−2+0+6)/18
        assertThatThrownBy(() -> Gini.of(new double[] {1, -1})).isInstanceOf(IllegalArgumentException.class);
    }
}
