package dev.loupe.experiments.monosemanticity;

import dev.loupe.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class ProxyLabelsTest {
    static String marks(String text, ProxyClass c) {
        boolean[] l = ProxyLabels.label(text)[c.ordinal()];
        StringBuilder sb = new StringBuilder();
        for (boolean b : l) sb.append(b ? '^' : ' ');
        return sb.toString();
    }

    @Test
    void eachRuleLabelsItsCharactersFromTheTextAlone() {
        String t = "Ab 12+3=15 OK I bU17UNLXBREfi4Pw== !?! .. αβ x=y";
        assertThat(marks(t, ProxyClass.ARITHMETIC)).isEqualTo("   ^^^^^^^                                      ");
        assertThat(marks(t, ProxyClass.UPPER_CASE)).isEqualTo("           ^^                                   ");
        assertThat(marks(t, ProxyClass.BASE64)).isEqualTo("                ^^^^^^^^^^^^^^^^^^              ");
        assertThat(marks(t, ProxyClass.PUNCTUATION_RUN)).isEqualTo("                                   ^^^          ");
        assertThat(marks(t, ProxyClass.GREEK)).isEqualTo("                                          ^^    ");
    }

    @Test
    void theCorpusIsDeterministicAndHoldsEveryClass() {
        String a = ProxyCorpus.generate(4, 20_000), b = ProxyCorpus.generate(4, 20_000);
        assertThat(a).isEqualTo(b).hasSize(20_000).isNotEqualTo(ProxyCorpus.generate(5, 20_000));
        boolean[][] labels = ProxyLabels.label(a);
        for (ProxyClass c : ProxyClass.values()) {
            int n = 0;
            for (boolean x : labels[c.ordinal()]) if (x) n++;
            assertThat(n).as(c.label()).isGreaterThan(200);
        }
        ProxyCorpus.tokenizer().encode(a);   // every character is in the vocabulary
    }

    @Test
    void scoresCountSpecificitySensitivityAndCorrelation() {
        // 6 tokens, classes: GREEK on tokens 0-2; unit 0 fires exactly there, unit 1 everywhere weakly, unit 2 never
        float[] a = {2, 1, 0,  2, 1, 0,  0.05f, 0, 0,  0, 0, 0,  0, 0, 0,  0, 1, 0};   // [token][unit]
        boolean[][] labels = new boolean[ProxyClass.values().length][6];
        for (int t = 0; t < 3; t++) labels[ProxyClass.GREEK.ordinal()][t] = true;
        ProxyScores s = ProxyScores.measure(3, f -> f.accept(Tensor.of(a, 6, 3), labels), x -> { });
        var u0 = s.score(0, ProxyClass.GREEK);
        assertThat(u0.specificity()).isEqualTo(1.0);
        assertThat(u0.sensitivity()).isEqualTo(2.0 / 3);      // token 2: 0.05 is below a tenth of the maximum 2
        var u1 = s.score(1, ProxyClass.GREEK);
        assertThat(u1.specificity()).isEqualTo(2.0 / 3);      // active on tokens 0, 1 (in the class) and 5
        assertThat(s.score(2, ProxyClass.GREEK).specificity()).isZero();
        // Pearson's r of unit 0 with the indicator, by hand
        double[] x = {2, 2, 0.05, 0, 0, 0}, y = {1, 1, 1, 0, 0, 0};
        double mx = 0, my = 0;
        for (int i = 0; i < 6; i++) { mx += x[i] / 6; my += y[i] / 6; }
        double sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < 6; i++) { sxy += (x[i] - mx) * (y[i] - my); sxx += (x[i] - mx) * (x[i] - mx); syy += (y[i] - my) * (y[i] - my); }
        assertThat(u0.correlation()).isCloseTo(sxy / Math.sqrt(sxx * syy), within(1e-9));
        assertThat(s.best(ProxyClass.GREEK).unit()).isZero();
    }
}
