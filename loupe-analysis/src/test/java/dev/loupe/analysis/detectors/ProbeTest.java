package dev.loupe.analysis.detectors;

import dev.loupe.model.GptConfig;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The standard probe: one fixed, named probe per model, so every view scores heads on the same tokens. */
class ProbeTest {

    private static GptConfig config(int vocab, int positions) {
        return GptConfig.gpt2(vocab, positions, 8, 1, 1);
    }

    @Test
    void standardFitsTheContextAndKeepsIdZeroOut() {
        Probe p = Probe.standard(config(32, 32));
        assertThat(p).isEqualTo(new Probe(8, 16, 1, 32, 0));
        assertThat(p.name()).isEqualTo("8 × 2·16 repeated random tokens (ids 1–31), seed 0");
        assertThat(p.ids()).hasSize(8 * 32).isEqualTo(RepeatedTokens.generate(8, 16, 1, 32, 0));
        assertThat(Probe.standard(config(50257, 1024)).half()).isEqualTo(Probe.MAX_HALF);
        assertThat(Probe.standard(config(2, 8)).first()).isZero();
    }

    @Test
    void aContextTooShortForARepeatedSpanIsRefused() {
        assertThatThrownBy(() -> Probe.standard(config(10, 3))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("half ≥ 2");
    }
}
