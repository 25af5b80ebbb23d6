package dev.loupe.bench;

import dev.loupe.tensor.Tensor;
import dev.loupe.tensor.bf16.Bf16Matrix;
import dev.loupe.tensor.bf16.Bf16Products;
import dev.loupe.tensor.matmul.Matmul;
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

import java.util.concurrent.TimeUnit;

/**
 * The decoding step's products: one row x [1, K] times each of 40 distinct weight matrices
 * (K×N, 40 × 9.4 MB in float32: far beyond the caches, as the 12 layers of GPT-2 small are), with
 * weights in float32 (the active backend's single-row path) or bfloat16 ({@link Bf16Products}).
 * Weight bytes streamed per op: 40·K·N·(4 or 2); GB/s = that / time per op. Run:
 * <pre>
 *   java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
 *        -jar loupe-bench/target/benchmarks.jar DecodeGemvBenchmark
 * </pre>
 * "t" shapes hold W as [N, K] and compute x·Wᵀ (the unembedding's orientation).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class DecodeGemvBenchmark {
    private static final int MATRICES = 40;

    @Param({"768x3072", "3072x768", "768x3072t"})
    public String shape;

    @Param({"f32", "bf16"})
    public String weights;

    private Tensor x, y;
    private Tensor[] w32;
    private Bf16Matrix[] w16;
    private boolean transposed;

    @Setup(Level.Trial)
    public void setUp() {
        transposed = shape.endsWith("t");
        String[] p = shape.replace("t", "").split("x");
        int k = Integer.parseInt(p[0]), n = Integer.parseInt(p[1]);
        x = Tensor.randn(1, 1f, 1, k);
        y = Tensor.zeros(1, n);
        w32 = new Tensor[MATRICES];
        w16 = new Bf16Matrix[MATRICES];
        for (int i = 0; i < MATRICES; i++) {
            Tensor w = Tensor.randn(10 + i, 0.02f, transposed ? n : k, transposed ? k : n);
            if (weights.equals("bf16")) w16[i] = Bf16Matrix.of(w);
            else w32[i] = w;
        }
    }

    @Benchmark
    public Tensor products() {
        for (int i = 0; i < MATRICES; i++) {
            if (w16[i] != null) {
                if (transposed) Bf16Products.xWt(x, w16[i], y);
                else Bf16Products.xW(x, w16[i], y);
            } else {
                Matmul.gemm(false, transposed, 1f, x, w32[i], 0f, y);
            }
        }
        return y;
    }
}
