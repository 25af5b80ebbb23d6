package dev.loupe.bench;

import dev.loupe.tensor.matmul.Backends;
import dev.loupe.tensor.matmul.MatmulBackend;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * One matrix product C[M, N] = A[M, K] · B[K, N] per invocation, for GPT-2 small's shapes and each
 * backend. GFLOPS = 2·M·K·N / (time per op). Run:
 * <pre>
 *   java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
 *        -jar loupe-bench/target/benchmarks.jar MatmulBenchmark -p backend=java -p shape=1024x768x2304
 * </pre>
 * The blas cases fail at setup (with the places searched) where no CBLAS library loads.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class MatmulBenchmark {

    /** M×K×N, as in PERFORMANCE.md. */
    @Param({"1024x768x2304", "1024x768x768", "1024x768x3072", "1024x3072x768", "256x768x50304",
            "1024x1024x1024", "1x768x3072", "1x3072x768"})
    public String shape;

    @Param({"java", "blas"})
    public String backend;

    private MatmulBackend impl;
    private int m, k, n;
    private float[] a, b, c;

    @Setup(Level.Trial)
    public void setUp() {
        String[] p = shape.split("x");
        m = Integer.parseInt(p[0]);
        k = Integer.parseInt(p[1]);
        n = Integer.parseInt(p[2]);
        impl = Backends.byName(backend);
        SplittableRandom r = new SplittableRandom(1);
        a = random(r, m * k);
        b = random(r, k * n);
        c = new float[m * n];
    }

    @Benchmark
    public float[] sgemm() {
        impl.sgemm(false, false, m, n, k, 1f, a, 0, k, b, 0, n, 0f, c, 0, n);
        return c;
    }

    private static float[] random(SplittableRandom r, int size) {
        float[] v = new float[size];
        for (int i = 0; i < size; i++) v[i] = (float) (r.nextDouble() * 2 - 1);
        return v;
    }
}
