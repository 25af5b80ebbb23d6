package dev.loupe.model.io;

import dev.loupe.LoupeException;
import dev.loupe.tensor.Tensor;
import dev.loupe.tensor.bf16.Bf16Matrix;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * The check that loaded weights hold only finite numbers. A single NaN or ±Inf weight makes every
 * prediction NaN ("NaN%") and makes training fail in ways that look like a bad learning rate, so
 * loaders refuse such a model by default, naming the tensor and the first bad element; callers that
 * want to look at a broken model anyway (e.g. to find where it diverged) pass {@code allowNonFinite}.
 */
public final class FiniteWeights {
    private FiniteWeights() {}

    /**
     * @throws LoupeException "FILE: tensor 'NAME' holds NaN at [i, j] (element k of n) ..." when
     *                        {@code t} has a NaN or infinite element
     */
    public static void require(Path file, String name, Tensor t) {
        Tensor c = t.contiguous();
        int bad = firstNonFinite(c.data(), c.offset(), c.size());
        if (bad < 0) return;
        float v = c.data()[c.offset() + bad];
        throw new LoupeException(file + ": tensor '" + name + "' holds " + v + " at " + Arrays.toString(index(c.shape(), bad))
                + " (element " + bad + " of " + c.size() + "): non-finite weights make every prediction NaN;"
                + " --allow-nonfinite loads the model anyway");
    }

    /** As {@link #require(Path, String, Tensor)} for a bfloat16 matrix (exponent bits all ones: NaN or ±Inf). */
    public static void require(Path file, String name, Bf16Matrix m) {
        int[] at = m.firstNonFinite();
        if (at == null) return;
        long i = (long) at[0] * m.cols() + at[1], n = (long) m.rows() * m.cols();
        throw new LoupeException(file + ": tensor '" + name + "' holds " + m.get(at[0], at[1]) + " at " + Arrays.toString(at)
                + " (element " + i + " of " + n + "): non-finite weights make every prediction NaN; --allow-nonfinite loads the model anyway");
    }

    /**
     * The first index in {@code data[from, from + n)} (relative to {@code from}) that is NaN or
     * infinite, or -1. A scalar loop on purpose, not the Vector API kernel {@code Ops.firstNonFinite}
     * the trainer uses: a command loads a model once, in a cold JVM, where this loop is compiled
     * within milliseconds while the vector kernel runs interpreted; on GPT-2 small's 124M weights
     * the cold scan took 0.4–1.1 s here against 2.0–2.4 s for the vector kernel (docs/robustness.md).
     */
    static int firstNonFinite(float[] data, int from, int n) {
        final int chunk = 4096;
        for (int i = 0; i < n; i += chunk) {
            int m = Math.min(chunk, n - i);
            // |x|'s bits reach the exponent's all-ones (0x7f800000) only for ±Inf and NaN: an int
            // max reduction over the chunk, then one branch
            int maxBits = 0;
            for (int j = 0; j < m; j++) maxBits = Math.max(maxBits, Float.floatToRawIntBits(data[from + i + j]) & 0x7fffffff);
            if (maxBits >= 0x7f800000) {
                for (int j = 0; j < m; j++) if (!Float.isFinite(data[from + i + j])) return i + j;
            }
        }
        return -1;
    }

    /** The multi-index of element {@code flat} in a row-major tensor of {@code shape}. */
    static int[] index(int[] shape, int flat) {
        int[] idx = new int[shape.length];
        for (int d = shape.length - 1; d >= 0; d--) {
            idx[d] = shape[d] == 0 ? 0 : flat % shape[d];
            flat = shape[d] == 0 ? 0 : flat / shape[d];
        }
        return idx;
    }
}
