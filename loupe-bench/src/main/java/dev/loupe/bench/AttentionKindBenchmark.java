package dev.loupe.bench;

import dev.loupe.model.Attention;
import dev.loupe.model.AttentionKind;
import dev.loupe.model.Linear;
import dev.loupe.tensor.Tensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
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
 * One attention layer of GPT-2 small's width (d_model 768, 12 heads of 64), forward + backward on one
 * sequence of T tokens, per attention kind: softmax (O(T²·d_head) per head), linear and least squares
 * (O(T·d_head²) per head). The projections c_attn and c_proj are the same for all kinds, so the
 * differences are the mixing kernels. Compare the scores of one run.
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -jar
 * loupe-bench/target/benchmarks.jar AttentionKindBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class AttentionKindBenchmark {
    @Param({"softmax", "linear", "least_squares"})
    public String kind;

    @Param({"256", "1024"})
    public int seq;

    static final int D = 768, HEADS = 12;

    private Attention attn;
    private Attention.Workspace ws;
    private Tensor x, out, dout, dx;

    @Setup
    public void setUp() {
        AttentionKind k = switch (kind) {
            case "linear" -> AttentionKind.linear(AttentionKind.FeatureMap.ELU1, true);
            case "least_squares" -> AttentionKind.leastSquares(1f, false);
            default -> AttentionKind.SOFTMAX;
        };
        Linear qkv = new Linear(Tensor.randn(1, 0.02f, D, 3 * D), Tensor.zeros(3 * D), Tensor.zeros(D, 3 * D), Tensor.zeros(3 * D));
        Linear proj = new Linear(Tensor.randn(2, 0.02f, D, D), Tensor.zeros(D), Tensor.zeros(D, D), Tensor.zeros(D));
        attn = new Attention(qkv, proj, HEADS, k, null, null);
        ws = new Attention.Workspace(attn, 1, seq);
        x = Tensor.randn(3, 1f, seq, D);
        out = Tensor.zeros(seq, D);
        dout = Tensor.randn(4, 1f, seq, D);
        dx = Tensor.zeros(seq, D);
    }

    @Benchmark
    public Tensor forward() {
        attn.forward(x, ws, out);
        return out;
    }

    @Benchmark
    public Tensor forwardBackward() {
        attn.forward(x, ws, out);
        dx.fill(0f);
        attn.backward(dout, x, ws, dx);
        return dx;
    }
}
