package dev.loupe.tensor;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class LaneSumTest {

    /**
     * Lanes chosen so that the order of addition decides the result: in lane order
     * ((1e8 + 1) − 1e8) + 1 = 1 in float, while pairing lanes (1e8 + 1) + (−1e8 + 1) gives 0, as the
     * compiled {@code reduceLanes(ADD)} does.
     */
    @Test
    void addsInLaneOrder() {
        float[] lanes = new float[FloatVector.SPECIES_PREFERRED.length()];
        lanes[0] = 1e8f;
        lanes[1] = 1f;
        lanes[2] = -1e8f;
        lanes[3] = 1f;
        float expected = 0f;
        for (float f : lanes) expected += f;
        assertThat(expected).isEqualTo(1f);
        // the same answer before and after the JIT has compiled the call (a reduction it may reorder would not)
        for (int i = 0; i < 200_000; i++) {
            float s = LaneSum.of(FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, lanes, 0));
            if (s != expected) assertThat(s).as("call %d", i).isEqualTo(expected);
        }
    }
}
