package dev.loupe.tensor.ops;

import dev.loupe.tensor.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

import static dev.loupe.tensor.ops.KernelSupport.L;
import static dev.loupe.tensor.ops.KernelSupport.S;

/**
 * Vector API reductions on dense {@code float[]} ranges: whole-array sums (for losses and gradient
 * norms), reductions along one axis, row argmax, and the NaN/Inf checks a training loop runs on its
 * gradients.
 *
 * <p>Determinism: whole-array sums split the input into fixed blocks of {@value #BLOCK} elements
 * (whatever the thread count), sum each block in float lanes, and add the block sums in order in
 * double, so the result is the same for every thread count and agrees with {@link ReferenceOps}'
 * double sum to about 10⁻⁶ relative. Axis reductions accumulate each output in the reference's
 * order (in float) and are likewise independent of the thread count.
 */
public final class ReductionKernels {
    private ReductionKernels() {}

    /** Elements per block of a whole-array reduction. */
    static final int BLOCK = 4096;

    /** What an axis reduction computes. */
    public enum Kind { SUM, MEAN, MAX }

    /** Σ x over {@code x[o .. o+n)}, in double. */
    public static double sum(float[] x, int o, int n) {
        return blockwise(x, o, n, false);
    }

    /** Σ x² over {@code x[o .. o+n)}, in double: the squared L2 (Frobenius) norm. */
    public static double sumOfSquares(float[] x, int o, int n) {
        return blockwise(x, o, n, true);
    }

    private static double blockwise(float[] x, int o, int n, boolean squares) {
        int blocks = (n + BLOCK - 1) / BLOCK;
        double[] partial = new double[blocks];
        Parallel.RangeTask task = (b0, b1) -> {
            for (int b = b0; b < b1; b++) {
                int from = o + b * BLOCK, len = Math.min(BLOCK, n - b * BLOCK);
                FloatVector acc = FloatVector.zero(S);
                int j = 0;
                for (int bound = S.loopBound(len); j < bound; j += L) {
                    FloatVector v = FloatVector.fromArray(S, x, from + j);
                    acc = squares ? v.fma(v, acc) : acc.add(v);
                }
                double s = KernelSupport.sumLanes(acc);
                for (; j < len; j++) s += squares ? (double) x[from + j] * x[from + j] : x[from + j];
                partial[b] = s;
            }
        };
        forBlocks(blocks, n, task);
        double s = 0;
        for (double p : partial) s += p;
        return s;
    }

    /** Runs {@code task} over block indices [0, blocks) of n elements: inline when small, else in parallel. */
    private static void forBlocks(int blocks, int n, Parallel.RangeTask task) {
        if (n < 2 * KernelSupport.GRAIN) task.run(0, blocks);
        else Parallel.forRange(blocks, KernelSupport.GRAIN / BLOCK, task);
    }

    /** max |x| over {@code x[o .. o+n)}; NaN if any element is NaN; 0 for n = 0. */
    public static float maxAbs(float[] x, int o, int n) {
        int blocks = (n + BLOCK - 1) / BLOCK;
        float[] partial = new float[blocks];
        Parallel.RangeTask task = (b0, b1) -> {
            for (int b = b0; b < b1; b++) {
                int from = o + b * BLOCK, len = Math.min(BLOCK, n - b * BLOCK);
                FloatVector acc = FloatVector.zero(S);
                int j = 0;
                for (int bound = S.loopBound(len); j < bound; j += L) acc = acc.max(FloatVector.fromArray(S, x, from + j).abs());
                float m = acc.reduceLanes(VectorOperators.MAX);
                for (; j < len; j++) m = Math.max(m, Math.abs(x[from + j]));
                partial[b] = m;
            }
        };
        forBlocks(blocks, n, task);
        float m = 0f;
        for (float p : partial) m = Math.max(m, p);
        return m;
    }

    /** Index (relative to {@code o}) of the first NaN or ±∞ in {@code x[o .. o+n)}, or −1 when all are finite. */
    public static int firstNonFinite(float[] x, int o, int n) {
        int blocks = (n + BLOCK - 1) / BLOCK;
        int[] first = new int[blocks];
        Parallel.RangeTask task = (b0, b1) -> {
            for (int b = b0; b < b1; b++) {
                int from = b * BLOCK, to = Math.min(n, from + BLOCK);
                first[b] = -1;
                int j = from;
                for (int bound = from + S.loopBound(to - from); j < bound; j += L) {
                    FloatVector v = FloatVector.fromArray(S, x, o + j);
                    // x − x is 0 for finite x and NaN for NaN and ±∞.
                    VectorMask<Float> bad = v.sub(v).compare(VectorOperators.NE, 0f);
                    if (bad.anyTrue()) { first[b] = j + bad.firstTrue(); break; }
                }
                if (first[b] < 0) {
                    for (; j < to; j++) if (!Float.isFinite(x[o + j])) { first[b] = j; break; }
                }
            }
        };
        forBlocks(blocks, n, task);
        for (int f : first) if (f >= 0) return f;
        return -1;
    }

    /**
     * Reduces a dense [outer, d, inner] array along its middle axis into {@code out} [outer, inner]
     * (from offset {@code oo}); {@code inner = 1} is the last-axis (row) case.
     */
    public static void reduceAxis(float[] x, int o, int outer, int d, int inner, Kind kind, float[] out, int oo) {
        if (inner == 1) {
            KernelSupport.rows(outer, d, (r0, r1) -> {
                for (int r = r0; r < r1; r++) {
                    int xr = o + r * d;
                    out[oo + r] = switch (kind) {
                        case SUM -> LayerNormKernels.sum(x, xr, d);
                        case MEAN -> LayerNormKernels.sum(x, xr, d) / d;
                        case MAX -> SoftmaxKernels.max(x, xr, d);
                    };
                }
            });
            return;
        }
        reduceMiddle(x, o, outer, d, inner, kind, false, out, oo);
    }

    /**
     * {@code acc[j] += Σ_r x[r, j]} over {@code rows} dense rows of width {@code d}: the column sums,
     * added onto {@code acc} (from offset {@code ao}) in row order, e.g. the gradient of a bias that
     * was added to every position.
     */
    public static void addColumnSums(float[] x, int o, int rows, int d, float[] acc, int ao) {
        reduceMiddle(x, o, 1, rows, d, Kind.SUM, true, acc, ao);
    }

    /**
     * The middle-axis case of {@link #reduceAxis} ({@code inner > 1}): blocks of output columns in
     * parallel, the d input slices added in order inside each block. With {@code accumulate} the
     * outputs start from their current values (SUM only) instead of 0 / −∞.
     */
    private static void reduceMiddle(float[] x, int o, int outer, int d, int inner, Kind kind, boolean accumulate,
                                     float[] out, int oo) {
        final int block = 256;
        int innerBlocks = (inner + block - 1) / block;
        KernelSupport.rows(outer * innerBlocks, Math.min(block, inner) * d, (t0, t1) -> {
            for (int t = t0; t < t1; t++) {
                int ob = t / innerBlocks, c0 = (t % innerBlocks) * block, c1 = Math.min(inner, c0 + block);
                int dst = oo + ob * inner;
                if (!accumulate) java.util.Arrays.fill(out, dst + c0, dst + c1, kind == Kind.MAX ? Float.NEGATIVE_INFINITY : 0f);
                for (int j = 0; j < d; j++) {
                    int src = o + (ob * d + j) * inner;
                    int c = c0;
                    for (int bound = c0 + S.loopBound(c1 - c0); c < bound; c += L) {
                        FloatVector a = FloatVector.fromArray(S, out, dst + c), v = FloatVector.fromArray(S, x, src + c);
                        (kind == Kind.MAX ? a.max(v) : a.add(v)).intoArray(out, dst + c);
                    }
                    for (; c < c1; c++) out[dst + c] = kind == Kind.MAX ? Math.max(out[dst + c], x[src + c]) : out[dst + c] + x[src + c];
                }
                if (kind == Kind.MEAN) for (int c = c0; c < c1; c++) out[dst + c] /= d;
            }
        });
    }

    /** Per row of width d: the index of the largest element (the first on ties; NaN is never chosen, as in the reference). */
    public static void argmaxRows(float[] x, int o, int rows, int d, int[] out) {
        KernelSupport.rows(rows, d, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int xr = o + r * d;
                float max = SoftmaxKernels.max(x, xr, d);
                int found = -1;
                if (!Float.isNaN(max)) {
                    for (int j = 0; j < d; j++) if (x[xr + j] == max) { found = j; break; }
                }
                if (found < 0) { // NaN present: fall back to the reference's comparison order
                    found = 0;
                    for (int j = 1; j < d; j++) if (x[xr + j] > x[xr + found]) found = j;
                }
                out[r] = found;
            }
        });
    }
}
