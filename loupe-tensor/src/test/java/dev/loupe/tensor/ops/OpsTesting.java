package dev.loupe.tensor.ops;

import dev.loupe.tensor.Tensor;

import java.util.Arrays;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/** Shared helpers for the kernel tests: random inputs in several layouts, closeness checks, gradient checks. */
final class OpsTesting {
    private OpsTesting() {}

    /** Row counts and widths that hit the vector tails (1, 7, 33) and the parallel path (1000 wide). */
    static final int[][] SHAPES = {{1, 1}, {1, 7}, {7, 33}, {33, 7}, {3, 1000}, {100, 1000}, {2, 5, 33}};

    /** The layouts each kernel is tried on. */
    enum Layout { CONTIGUOUS, TRANSPOSED, SLICED }

    /** A random tensor of {@code shape} in the given layout: a dense one, the transpose of a dense one, or a slice. */
    static Tensor random(long seed, Layout layout, int... shape) {
        return switch (layout) {
            case CONTIGUOUS -> Tensor.randn(seed, 1.5f, shape);
            case TRANSPOSED -> {
                int[] s = shape.clone();
                int r = s.length;
                if (r < 2) yield Tensor.randn(seed, 1.5f, shape);
                int t = s[r - 1]; s[r - 1] = s[r - 2]; s[r - 2] = t;
                Tensor v = Tensor.randn(seed, 1.5f, s).transpose(-1, -2);
                assertThat(v.isContiguous() && v.size() > 1 && s[r - 1] > 1 && s[r - 2] > 1).isFalse();
                yield v;
            }
            case SLICED -> {
                int[] s = shape.clone();
                s[s.length - 1] += 3;
                yield Tensor.randn(seed, 1.5f, s).slice(-1, 1, shape[shape.length - 1] + 1);
            }
        };
    }

    /** Asserts |actual − expected| ≤ abs + rel·|expected| elementwise, with the same shape. */
    static void assertClose(Tensor actual, Tensor expected, double rel, double abs) {
        assertThat(actual.shape()).isEqualTo(expected.shape());
        assertClose(actual.toArray(), expected.toArray(), rel, abs, Arrays.toString(expected.shape()));
    }

    static void assertClose(float[] actual, float[] expected, double rel, double abs, String what) {
        assertThat(actual).hasSize(expected.length);
        for (int i = 0; i < expected.length; i++) {
            double a = actual[i], e = expected[i];
            if (Double.isNaN(e) && Double.isNaN(a)) continue;
            if (a == e) continue; // also covers equal infinities
            if (!(Math.abs(a - e) <= abs + rel * Math.abs(e))) {
                fail(what + ": element " + i + " is " + a + ", expected " + e + " (tolerance " + rel + " rel + " + abs + " abs)");
            }
        }
    }

    /** A function from a tensor to a scalar loss, evaluated in double. */
    interface Loss extends ToDoubleFunction<Tensor> {}

    /**
     * Central differences of {@code loss} at {@code x} in float64 arithmetic on the float32 grid:
     * each element is moved to the representable neighbours x ± h and the slope taken over the exact
     * distance between them.
     */
    static float[] numericalGradient(Tensor x, Loss loss, double h) {
        Tensor p = x.copy();
        float[] v = p.data();
        float[] g = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            float orig = v[i];
            float up = (float) (orig + h), down = (float) (orig - h);
            v[i] = up;
            double lu = loss.applyAsDouble(p);
            v[i] = down;
            double ld = loss.applyAsDouble(p);
            v[i] = orig;
            g[i] = (float) ((lu - ld) / ((double) up - down));
        }
        return g;
    }

    /** {@code Σ w ⊙ f(x)} in double: a scalar loss whose gradient with respect to f(x) is w. */
    static Loss weighted(Function<Tensor, Tensor> f, Tensor w) {
        float[] wd = w.toArray();
        return x -> {
            float[] y = f.apply(x).toArray();
            double s = 0;
            for (int i = 0; i < y.length; i++) s += (double) wd[i] * y[i];
            return s;
        };
    }
}
