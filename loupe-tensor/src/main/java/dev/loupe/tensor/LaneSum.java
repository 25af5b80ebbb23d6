package dev.loupe.tensor;

import jdk.incubator.vector.FloatVector;

/**
 * The sum of a vector's lanes in lane order. {@code reduceLanes(VectorOperators.ADD)} leaves the
 * order unspecified, and the interpreter's fallback and the JIT-compiled intrinsic do differ in the
 * last bit, so a result computed with it depends on whether that code had been compiled yet: two
 * identical training runs in one JVM could then differ by an ulp. Every floating-point sum of lanes
 * in Loupe goes through here, so results are reproducible run to run.
 */
public final class LaneSum {
    private LaneSum() {}

    /** lane 0 + lane 1 + … + lane L−1, in float, in that order. */
    public static float of(FloatVector v) {
        float s = 0f;
        for (int i = 0, n = v.length(); i < n; i++) s += v.lane(i);   // lane(i) compiles to an extract: no array
        return s;
    }
}
