package dev.loupe.tensor.ops;

import dev.loupe.tensor.Parallel;
import jdk.incubator.vector.FloatVector;

import static dev.loupe.tensor.ops.KernelSupport.L;
import static dev.loupe.tensor.ops.KernelSupport.S;

/**
 * Embedding lookup and its backward on dense row-major tables [V, d]: gather copies rows, and the
 * scatter-add backward splits the columns (not the ids) across threads, so repeated ids are
 * accumulated in the same order as {@link ReferenceOps} and the result is bit-identical to it.
 */
public final class GatherKernels {
    private GatherKernels() {}

    /** {@code out[i, :] = table[ids[i], :]} for dense tables of width d; ids must be in [0, V). */
    public static void gather(float[] table, int to, int[] ids, float[] out, int oo, int d) {
        KernelSupport.rows(ids.length, d, (r0, r1) -> {
            for (int i = r0; i < r1; i++) System.arraycopy(table, to + ids[i] * d, out, oo + i * d, d);
        });
    }

    /** {@code dtable[ids[i], :] += dout[i, :]} for every i in order (repeated ids accumulate). */
    public static void scatterAdd(float[] dout, int go, int[] ids, float[] dtable, int to, int d) {
        final int block = 64;
        int blocks = (d + block - 1) / block;
        Parallel.RangeTask task = (b0, b1) -> {
            int c0 = b0 * block, c1 = Math.min(d, b1 * block);
            for (int i = 0; i < ids.length; i++) {
                int src = go + i * d, dst = to + ids[i] * d;
                int j = c0;
                for (int bound = c0 + S.loopBound(c1 - c0); j < bound; j += L) {
                    FloatVector.fromArray(S, dtable, dst + j).add(FloatVector.fromArray(S, dout, src + j)).intoArray(dtable, dst + j);
                }
                for (; j < c1; j++) dtable[dst + j] += dout[src + j];
            }
        };
        if ((long) ids.length * d < 2L * KernelSupport.GRAIN || blocks < 2) task.run(0, blocks);
        else Parallel.forRange(blocks, Math.max(1, KernelSupport.GRAIN / (ids.length * block)), task);
    }
}
