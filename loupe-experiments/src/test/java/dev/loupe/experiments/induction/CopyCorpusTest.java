package dev.loupe.experiments.induction;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class CopyCorpusTest {

    @Test
    void corpusIsSeededAndHoldsRepeats() {
        int[] a = CopyCorpus.generate(3, 5000, 32, 0.1, 28, 0.5);
        assertThat(CopyCorpus.generate(3, 5000, 32, 0.1, 28, 0.5)).isEqualTo(a);
        for (int id : a) assertThat(id).isBetween(0, 31);
        // runs of ≥ 4 symbols equal to the 4 symbols some distance d ≤ 28 back: far more than chance (32⁻⁴ per pair)
        int repeats = 0;
        for (int i = 40; i < a.length; i++) {
            for (int d = 4; d <= 28; d++) {
                if (a[i] == a[i - d] && a[i - 1] == a[i - 1 - d] && a[i - 2] == a[i - 2 - d] && a[i - 3] == a[i - 3 - d]) {
                    repeats++;
                    break;
                }
            }
        }
        assertThat(repeats).isGreaterThan(5000 / 10);
        assertThat(CopyCorpus.ALPHABET.chars().sorted().toArray()).isEqualTo(CopyCorpus.ALPHABET.chars().toArray());
    }
}
