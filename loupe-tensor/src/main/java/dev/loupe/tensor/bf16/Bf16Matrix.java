package dev.loupe.tensor.bf16;

import dev.loupe.tensor.Tensor;

import java.util.Arrays;

/**
 * A row-major matrix [rows, cols] of bfloat16 values ({@link BFloat16}), half the bytes of float32:
 * the storage of a model's weight matrices when it runs with {@code --weights bf16}. Read by the
 * kernels of {@link Bf16Products}, which accumulate in float32; {@link #toTensor()} widens it back
 * (exactly) for code that needs float32 values.
 */
public final class Bf16Matrix {
    private final short[] data;
    private final int rows;
    private final int cols;

    private Bf16Matrix(short[] data, int rows, int cols) {
        this.data = data;
        this.rows = rows;
        this.cols = cols;
    }

    /** Wraps {@code data} (not copied): rows·cols bfloat16 values, row-major. */
    public static Bf16Matrix wrap(short[] data, int rows, int cols) {
        if (rows < 0 || cols < 0 || (long) rows * cols != data.length) {
            throw new IllegalArgumentException("a " + rows + "×" + cols + " bfloat16 matrix needs " + ((long) rows * cols)
                    + " values, got " + data.length);
        }
        return new Bf16Matrix(data, rows, cols);
    }

    /** The matrix {@code t} [rows, cols] rounded to bfloat16 (nearest, ties to even). */
    public static Bf16Matrix of(Tensor t) {
        if (t.rank() != 2) throw new IllegalArgumentException("expected a matrix, got shape " + Arrays.toString(t.shape()));
        Tensor c = t.contiguous();
        float[] src = c.data();
        int off = c.offset(), n = c.size();
        short[] out = new short[n];
        for (int i = 0; i < n; i++) out[i] = BFloat16.fromFloat(src[off + i]);
        return new Bf16Matrix(out, t.dim(0), t.dim(1));
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    /** The values, row-major (shared, not a copy). */
    public short[] data() {
        return data;
    }

    /** Element [r, c] widened to float32. */
    public float get(int r, int c) {
        return BFloat16.toFloat(data[r * cols + c]);
    }

    /** Row {@code r} widened into {@code dst} [cols] from {@code dstOff}. */
    public void widenRow(int r, float[] dst, int dstOff) {
        widen(r * cols, cols, dst, dstOff);
    }

    /** {@code count} values from flat index {@code from}, widened into {@code dst} from {@code dstOff}. */
    void widen(int from, int count, float[] dst, int dstOff) {
        for (int i = 0; i < count; i++) dst[dstOff + i] = Float.intBitsToFloat((data[from + i] & 0xFFFF) << 16);
    }

    /** A float32 copy [rows, cols] holding exactly these values. */
    public Tensor toTensor() {
        float[] out = new float[data.length];
        widen(0, data.length, out, 0);
        return Tensor.of(out, rows, cols);
    }

    /** Rows [from, to) as a float32 copy [to − from, cols] holding exactly these values. */
    public Tensor rowsToTensor(int from, int to) {
        if (from < 0 || to > rows || from > to) throw new IndexOutOfBoundsException("rows [" + from + ", " + to + ") of " + rows);
        float[] out = new float[(to - from) * cols];
        widen(from * cols, out.length, out, 0);
        return Tensor.of(out, to - from, cols);
    }

    /**
     * Columns [from, to) as a float32 copy [rows, to − from] holding exactly these values: one head's
     * block of a fused projection (e.g. W_Q^h of c_attn) without widening the whole matrix.
     */
    public Tensor columnsToTensor(int from, int to) {
        if (from < 0 || to > cols || from > to) throw new IndexOutOfBoundsException("columns [" + from + ", " + to + ") of " + cols);
        int w = to - from;
        float[] out = new float[rows * w];
        for (int r = 0; r < rows; r++) widen(r * cols + from, w, out, r * w);
        return Tensor.of(out, rows, w);
    }

    /** Bytes held: 2 per value. */
    public long bytes() {
        return 2L * data.length;
    }
}
