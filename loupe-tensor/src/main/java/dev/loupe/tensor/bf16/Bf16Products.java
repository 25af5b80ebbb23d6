package dev.loupe.tensor.bf16;

import dev.loupe.tensor.Parallel;
import dev.loupe.tensor.Scratch;
import dev.loupe.tensor.Tensor;
import dev.loupe.tensor.matmul.Matmul;

import java.util.Arrays;

/**
 * Products of float32 activations with bfloat16 weights ({@link Bf16Matrix}), accumulated in float32:
 * {@code y = x · W} (W stored [in, out], GPT-2's Conv1D) and {@code y = x · Wᵀ} (W stored [out, in],
 * the unembedding). One row (a decoding step) runs the bandwidth-bound Vector API kernels of
 * {@link Bf16Gemv}; several rows (a prompt, a full forward) widen W block by block (on all threads)
 * into a reused float32 panel and multiply it with the active matmul backend, so the arithmetic there is exactly
 * float32 GEMM on the bfloat16 values.
 */
public final class Bf16Products {
    /** Floats per widened panel (4 MB): large enough for GEMM to run at speed, small enough to stay cached. */
    static final int PANEL = 1 << 20;

    private Bf16Products() {}

    /** y [m, n] (overwritten) = x [m, k] · W, W [k, n]. x and y contiguous. */
    public static void xW(Tensor x, Bf16Matrix w, Tensor y) {
        int m = check(x, w.rows(), y, w.cols(), "x·W");
        int k = w.rows(), n = w.cols();
        if (m == 1) {
            Bf16Gemv.axpy(x.data(), x.offset(), w, y.data(), y.offset());
            return;
        }
        int nb = Math.max(16, Math.min(n, PANEL / Math.max(1, k)));          // columns per panel
        float[] panel = Scratch.panel(k * nb);
        for (int j0 = 0; j0 < n; j0 += nb) {
            int cols = Math.min(nb, n - j0), c0 = j0;
            Parallel.forRange(k, 64, (p0, p1) -> {                                  // W[:, j0:j0+cols] → [k, cols]
                for (int p = p0; p < p1; p++) w.widen(p, c0, cols, panel, p * cols);
            });
            Matmul.backend().sgemm(false, false, m, cols, k, 1f, x.data(), x.offset(), k,
                    panel, 0, cols, 0f, y.data(), y.offset() + j0, n);
        }
    }

    /** y [m, n] (overwritten) = x [m, k] · Wᵀ, W [n, k]. x and y contiguous. */
    public static void xWt(Tensor x, Bf16Matrix w, Tensor y) {
        int m = check(x, w.cols(), y, w.rows(), "x·Wᵀ");
        int k = w.cols(), n = w.rows();
        if (m == 1) {
            Bf16Gemv.dot(x.data(), x.offset(), w, y.data(), y.offset());
            return;
        }
        int nb = Math.max(16, Math.min(n, PANEL / Math.max(1, k)));          // rows of W per panel
        float[] panel = Scratch.panel(k * nb);
        for (int j0 = 0; j0 < n; j0 += nb) {
            int rows = Math.min(nb, n - j0), r0 = j0;
            Parallel.forRange(rows, 64, (a, b) -> {                                    // W[j0:j0+rows, :] → [rows, k]
                for (int r = a; r < b; r++) w.widen(r0 + r, 0, k, panel, r * k);
            });
            Matmul.backend().sgemm(false, true, m, rows, k, 1f, x.data(), x.offset(), k,
                    panel, 0, k, 0f, y.data(), y.offset() + j0, n);
        }
    }

    private static int check(Tensor x, int k, Tensor y, int n, String what) {
        if (x.rank() != 2 || y.rank() != 2 || !x.isContiguous() || !y.isContiguous()
                || x.dim(1) != k || y.dim(1) != n || x.dim(0) != y.dim(0)) {
            throw new IllegalArgumentException(what + ": shapes do not chain (contiguous matrices needed): x "
                    + Arrays.toString(x.shape()) + ", W inner " + k + ", outer " + n + ", y " + Arrays.toString(y.shape()));
        }
        return x.dim(0);
    }
}
