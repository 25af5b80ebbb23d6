package dev.loupe.cli.bench;

import dev.loupe.tensor.Parallel;
import dev.loupe.tensor.matmul.MatmulBackend;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.DoubleAdder;

/**
 * The measurements behind {@code loupe bench kernels}: matmul GFLOPS per backend and shape, and
 * memory read bandwidth. Each figure is the median of {@code repeat} timed batches taken after a
 * warm-up long enough for the JIT to compile the Vector API kernels (before that they run 10-40×
 * slower), each batch lasting about 50 ms so that short products are timed reliably.
 */
final class KernelBench {
    /** A product op(A)[M, K] · B[K, N], the unit in which PERFORMANCE.md lists GPT-2's kernels. */
    record Shape(int m, int k, int n) {
        double flops() {
            return 2.0 * m * k * n;
        }

        String label() {
            return m + "×" + k + "×" + n;
        }

        String arg() {
            return m + "x" + k + "x" + n;
        }
    }

    /** GPT-2 small's products: fused QKV, attention projection, MLP up/down, unembedding, a cube, decoding. */
    static final List<Shape> SHAPES = List.of(
            new Shape(1024, 768, 2304), new Shape(1024, 768, 768), new Shape(1024, 768, 3072),
            new Shape(1024, 3072, 768), new Shape(256, 768, 50304), new Shape(1024, 1024, 1024),
            new Shape(1, 768, 3072), new Shape(1, 3072, 768));

    private static final long WARMUP_NANOS = 1_000_000_000L;
    private static final long BATCH_NANOS = 50_000_000L;
    private static volatile double sink;

    private KernelBench() {}

    /** Median GFLOPS of {@code backend} on {@code s} (row-major, no transposes, beta = 0). */
    static double matmulGflops(MatmulBackend backend, Shape s, int repeat) {
        SplittableRandom r = new SplittableRandom(42);
        float[] a = random(r, s.m * s.k), b = random(r, s.k * s.n), c = new float[s.m * s.n];
        double sec = medianSeconds(() -> backend.sgemm(false, false, s.m, s.n, s.k, 1f,
                a, 0, s.k, b, 0, s.n, 0f, c, 0, s.n), repeat);
        return s.flops() / sec / 1e9;
    }

    /**
     * Read bandwidth in GB/s: a vectorised sum of a 256 MB array (far beyond any cache) split over
     * all {@link Parallel#threads()} threads.
     */
    static double readBandwidthGbs(int repeat) {
        float[] big = new float[64 << 20];
        Arrays.fill(big, 1f); // touch every page so the timing sees memory, not page faults
        VectorSpecies<Float> sp = FloatVector.SPECIES_PREFERRED;
        double sec = medianSeconds(() -> {
            DoubleAdder total = new DoubleAdder();
            Parallel.forRange(big.length, 1 << 20, (from, to) -> {
                FloatVector acc0 = FloatVector.zero(sp), acc1 = FloatVector.zero(sp);
                int i = from, step = 2 * sp.length();
                for (; i + step <= to; i += step) {
                    acc0 = acc0.add(FloatVector.fromArray(sp, big, i));
                    acc1 = acc1.add(FloatVector.fromArray(sp, big, i + sp.length()));
                }
                float s = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
                for (; i < to; i++) s += big[i];
                total.add(s);
            });
            sink = total.sum();
        }, repeat);
        return (double) big.length * Float.BYTES / sec / 1e9;
    }

    /** Median seconds per call of {@code op}, after warming it up. */
    static double medianSeconds(Runnable op, int repeat) {
        long start = System.nanoTime();
        for (int calls = 0; calls < 3 || System.nanoTime() - start < WARMUP_NANOS; calls++) op.run();
        long t = System.nanoTime();
        op.run();
        long one = Math.max(1, System.nanoTime() - t);
        int inner = (int) Math.max(1, BATCH_NANOS / one);
        double[] samples = new double[repeat];
        for (int i = 0; i < repeat; i++) {
            t = System.nanoTime();
            for (int j = 0; j < inner; j++) op.run();
            samples[i] = (System.nanoTime() - t) / 1e9 / inner;
        }
        Arrays.sort(samples);
        return repeat % 2 == 1 ? samples[repeat / 2] : (samples[repeat / 2 - 1] + samples[repeat / 2]) / 2;
    }

    private static float[] random(SplittableRandom r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (r.nextDouble() * 2 - 1);
        return v;
    }
}
