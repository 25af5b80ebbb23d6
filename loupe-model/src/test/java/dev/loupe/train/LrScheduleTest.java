package dev.loupe.train;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class LrScheduleTest {
    @Test
    void warmupThenCosineToTheFloor() {
        LrSchedule s = new LrSchedule(1e-3, 1e-4, 4, 104, LrSchedule.Kind.COSINE);
        assertThat(s.at(0)).isCloseTo(1e-3 * 1 / 5, within(1e-15));
        assertThat(s.at(3)).isCloseTo(1e-3 * 4 / 5, within(1e-15));
        assertThat(s.at(4)).isCloseTo(1e-3, within(1e-15));              // r = 0: the peak
        assertThat(s.at(54)).isCloseTo(1e-4 + 0.5 * 9e-4, within(1e-15)); // r = ½: half way
        assertThat(s.at(103)).isGreaterThan(1e-4).isLessThan(1.01e-4);
        assertThat(s.at(104)).isEqualTo(1e-4);
        for (int i = 5; i < 104; i++) assertThat(s.at(i)).isLessThan(s.at(i - 1));
    }

    @Test
    void constantAfterWarmup() {
        LrSchedule s = new LrSchedule(6e-4, 0, 2, 10, LrSchedule.Kind.CONSTANT);
        assertThat(s.at(0)).isCloseTo(2e-4, within(1e-15));
        assertThat(s.at(2)).isEqualTo(6e-4);
        assertThat(s.at(9)).isEqualTo(6e-4);
    }
}
