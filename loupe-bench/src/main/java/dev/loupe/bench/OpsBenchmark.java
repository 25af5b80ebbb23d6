package dev.loupe.bench;

import dev.loupe.tensor.Tensor;
import dev.loupe.tensor.ops.Ops;
import dev.loupe.tensor.ops.ReferenceOps;
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
 * The Vector API kernels in {@link Ops} against their scalar definitions in {@link ReferenceOps}, on
 * GPT-2-sized activations: softmax over rows of [1024, 3072], LayerNorm over [1024, 768] and
 * [1024, 3072], GELU and its backward over the MLP's hidden [1024, 3072], and the cross-entropy head
 * over [256, 50304]. Compare the {@code fast*} and {@code reference*} scores of one run.
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -cp <classpath> org.openjdk.jmh.Main OpsBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class OpsBenchmark {
    /** Rows of the activations (tokens: B·T). */
    @Param({"1024"})
    public int rows;

    /** Width of the activations: 768 is d_model, 3072 the MLP hidden size of GPT-2 small. */
    @Param({"3072"})
    public int width;

    private Tensor x, dout, gamma, beta, logits, probs;
    private int[] targets;

    @Setup
    public void setUp() {
        x = Tensor.randn(1, 2f, rows, width);
        dout = Tensor.randn(2, 1f, rows, width);
        gamma = Tensor.randn(3, 1f, width);
        beta = Tensor.randn(4, 1f, width);
        logits = Tensor.randn(5, 2f, 256, 50304);
        probs = Tensor.zeros(256, 50304);
        targets = new int[256];
        for (int i = 0; i < targets.length; i++) targets[i] = (i * 7919) % 50304;
    }

    @Benchmark public Tensor fastSoftmax() { return Ops.softmax(x, -1); }

    @Benchmark public Tensor referenceSoftmax() { return ReferenceOps.softmax(x, -1); }

    @Benchmark public Tensor fastLayerNorm() { return Ops.layerNorm(x, gamma, beta, 1e-5f, null, null); }

    @Benchmark public Tensor referenceLayerNorm() { return ReferenceOps.layerNorm(x, gamma, beta, 1e-5f, null, null); }

    @Benchmark public Tensor fastGelu() { return Ops.gelu(x); }

    @Benchmark public Tensor referenceGelu() { return ReferenceOps.gelu(x); }

    @Benchmark public Tensor fastGeluBackward() { return Ops.geluBackward(x, dout); }

    @Benchmark public Tensor referenceGeluBackward() { return ReferenceOps.geluBackward(x, dout); }

    @Benchmark public double fastCrossEntropy() { return Ops.crossEntropy(logits, targets, probs); }

    @Benchmark public double referenceCrossEntropy() { return ReferenceOps.crossEntropy(logits, targets, probs, null); }
}
