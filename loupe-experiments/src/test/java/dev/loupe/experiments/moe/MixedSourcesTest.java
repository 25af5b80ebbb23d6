package dev.loupe.experiments.moe;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The mixed corpus: every character labelled with the source that wrote it, deterministic, one token per character. */
class MixedSourcesTest {
    @Test
    void eachCharacterCarriesTheLabelOfTheSourceThatWroteIt() {
        MixedSources.Labelled x = MixedSources.generate(7, 0, 20_000);
        assertThat(x.text()).hasSize(20_000);
        assertThat(x.sources()).hasSize(20_000);
        int[] seen = new int[4];
        for (int i = 0; i < x.text().length(); i++) {
            char c = x.text().charAt(i);
            int s = x.sources()[i];
            seen[s]++;
            if (c == ' ' || c == '\n') continue;
            switch (s) {
                case 0 -> assertThat(String.valueOf(c)).as("english at %d", i).matches("[a-z.,]");
                case 1 -> assertThat(String.valueOf(c)).as("arithmetic at %d", i).matches("[0-9+=-]");
                case 2 -> assertThat(String.valueOf(c)).as("code at %d", i).matches("[a-z0-9(){}\\[\\];=<+,]");
                default -> assertThat(c == '.' || c >= 'α' && c <= 'ω').as("greek at %d: %s", i, c).isTrue();
            }
        }
        for (int n : seen) assertThat(n).isBetween(3_500, 6_500);   // sources drawn uniformly: ~5 000 each
    }

    @Test
    void deterministicPerSeedAndPartAndEncodableOneTokenPerCharacter() {
        assertThat(MixedSources.generate(7, 1, 5_000).text()).isEqualTo(MixedSources.generate(7, 1, 5_000).text());
        assertThat(MixedSources.generate(7, 1, 5_000).text()).isNotEqualTo(MixedSources.generate(7, 0, 5_000).text());
        String t = MixedSources.generate(7, 0, 5_000).text();
        assertThat(MixedSources.tokenizer().encode(t)).hasSize(t.length());
        assertThat(MixedSources.tokenizer().decode(MixedSources.tokenizer().encode(t))).isEqualTo(t);
    }
}
