package dev.loupe.experiments.grokking;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** constant + key + rest add back to the logits; the key part is the projection on the key directions. */
class LogitDecompositionTest {
    static final int P = 11, V = 12;

    @Test
    void thePartsAddBackToTheLogitsAndRestrictedPlusExcludedIsLogitsPlusConstant() {
        float[] logits = random(1);
        LogitDecomposition d = LogitDecomposition.of(logits, P, V, new int[] {2, 5});
        double[] restricted = d.restricted(), excluded = d.excluded();
        for (int i = 0; i < logits.length; i++) {
            double c = d.constant()[i % V];
            assertThat(c + d.key()[i] + d.rest()[i]).isCloseTo(logits[i], within(1e-5));
            assertThat(restricted[i] + excluded[i] - c).isCloseTo(logits[i], within(1e-5));
        }
    }

    @Test
    void theRestIsOrthogonalToTheKeyDirectionsAndToTheConstant() {
        LogitDecomposition d = LogitDecomposition.of(random(2), P, V, new int[] {1, 3});
        for (int c = 0; c < V; c++) {
            for (int k : new int[] {1, 3}) {
                double cos = 0, sin = 0, sum = 0;
                for (int a = 0; a < P; a++)
                    for (int b = 0; b < P; b++) {
                        double r = d.rest()[(a * P + b) * V + c], w = 2 * Math.PI * k * (a + b) / P;
                        cos += r * Math.cos(w);
                        sin += r * Math.sin(w);
                        sum += r;
                    }
                assertThat(cos).isCloseTo(0, within(1e-4));
                assertThat(sin).isCloseTo(0, within(1e-4));
                assertThat(sum).isCloseTo(0, within(1e-4));
            }
        }
    }

    @Test
    void logitsMadeOfKeyFrequenciesAreAllKey() {
        float[] logits = new float[P * P * V];
        for (int a = 0; a < P; a++)
            for (int b = 0; b < P; b++)
                for (int c = 0; c < V; c++) {
                    double w = 2 * Math.PI * 4 * (a + b - c) / P;         // Nanda's cos(w(a + b − c)) logits
                    logits[(a * P + b) * V + c] = (float) (2 * Math.cos(w) + 0.5);
                }
        LogitDecomposition d = LogitDecomposition.of(logits, P, V, new int[] {4});
        for (double r : d.rest()) assertThat(r).isCloseTo(0, within(1e-5));
        LogitDecomposition other = LogitDecomposition.of(logits, P, V, new int[] {2});
        for (double k : other.key()) assertThat(k).isCloseTo(0, within(1e-5));
    }

    static float[] random(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[P * P * V];
        for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextDouble() * 4 - 2);
        return x;
    }
}
