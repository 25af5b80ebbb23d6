package dev.loupe.tensor.ops;

import dev.loupe.tensor.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** What the kernel classes share: the vector species and when to split work across cores. */
final class KernelSupport {
    private KernelSupport() {}

    /** The widest float vector the CPU supports (8 lanes with AVX2, 16 with AVX-512). */
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    /** Lanes per vector. */
    static final int L = S.length();

    /**
     * Elements a task should touch at least before the work is split across threads: below this the
     * fork/join hand-off (a few microseconds) costs more than it saves.
     */
    static final int GRAIN = 1 << 15;

    /** The sum of the lanes of {@code v}, in lane order ({@link dev.loupe.tensor.LaneSum}). */
    static float sumLanes(FloatVector v) {
        return dev.loupe.tensor.LaneSum.of(v);
    }

    /** Runs {@code task} over [0, n) elements, in parallel chunks of at least {@link #GRAIN}. */
    static void elements(int n, Parallel.RangeTask task) {
        if (n < 2 * GRAIN) task.run(0, n);
        else Parallel.forRange(n, GRAIN, task);
    }

    /** Runs {@code task} over [0, rows) rows of {@code width} elements, splitting only large inputs. */
    static void rows(int rows, int width, Parallel.RangeTask task) {
        long work = (long) rows * Math.max(1, width);
        if (work < 2L * GRAIN || rows < 2) task.run(0, rows);
        else Parallel.forRange(rows, Math.max(1, GRAIN / Math.max(1, width)), task);
    }
}
