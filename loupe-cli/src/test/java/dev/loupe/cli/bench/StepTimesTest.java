package dev.loupe.cli.bench;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StepTimesTest {
    @Test
    void meanMedianNearestRankP90AndMax() {
        double[] ms = {10, 12, 11, 10, 50, 10, 11, 13, 10, 12};   // one slow step
        StepTimes t = StepTimes.of(ms);
        assertThat(t.mean()).isEqualTo(14.9);
        assertThat(t.median()).isEqualTo(11.0);                     // (11 + 11) / 2
        assertThat(t.p90()).isEqualTo(13.0);                        // 9th of 10 sorted
        assertThat(t.max()).isEqualTo(50.0);
        assertThat(t.perSecond()).isCloseTo(1000 / 14.9, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(t.spread()).isCloseTo(13.0 / 11.0, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(StepTimes.of(new double[] {3, 1, 2}).median()).isEqualTo(2.0);
        assertThat(StepTimes.of(new double[] {7}).p90()).isEqualTo(7.0);
        assertThatThrownBy(() -> StepTimes.of(new double[0])).isInstanceOf(IllegalArgumentException.class);
    }
}
