package dev.loupe.tensor.bf16;

import dev.loupe.tensor.Tensor;

import java.util.Arrays;

/**
 * A matrix [rows, cols] of bfloat16 values ({@link BFloat16}), half the bytes of float32: the
 * storage of a model's weight matrices when it runs with {@code --weights bf16}. Read by the kernels
 * of {@link Bf16Products}, which accumulate in float32; {@link #toTensor()} widens it back (exactly)
 * for code that needs float32 values.
 *
 * <p><b>Layout.</b> The values are not stored row-major but in <i>row quads</i>: rows 4q … 4q+3 are
 * interleaved in chunks of {@link #CHUNK} columns, so element [r, c] of a quad sits at
 * {@code 4q·cols + 4·(c − c mod 16) + 16·(r mod 4) + c mod 16}. Both decoding kernels read four rows
 * at a time (the axpy form four input rows, the dot form four output rows), and with this layout
 * those four rows are one sequential stream of memory instead of four streams {@code cols} apart.
 * One core then streams about a quarter more bytes per second from DRAM (docs/performance.md,
 * "KV-cache decoding", current figures), and decoding is bound by exactly that. Rows past the last full quad, and
 * every row of a matrix whose width is not a multiple of 16, stay row-major. The layout is private
 * to this class and its kernels: every accessor speaks of [row, column], and {@link #wrap} and
 * {@link #toRowMajor()} convert from and to the row-major order of files.
 */
public final class Bf16Matrix {
    /** Columns per interleaved chunk of a row quad: one 512-bit vector of float32 lanes. */
    static final int CHUNK = 16;
    /** Rows per quad. */
    static final int QUAD = 4;

    private final short[] data;
    private final int rows;
    private final int cols;
    /** Rows stored in quads: a multiple of 4, or 0 when cols is not a multiple of {@link #CHUNK}. */
    private final int quadRows;

    private Bf16Matrix(short[] data, int rows, int cols) {
        this.data = data;
        this.rows = rows;
        this.cols = cols;
        this.quadRows = cols % CHUNK == 0 ? rows - rows % QUAD : 0;
    }

    /** A matrix holding {@code rowMajor} (rows·cols bfloat16 values, row-major), copied into the kernels' layout. */
    public static Bf16Matrix wrap(short[] rowMajor, int rows, int cols) {
        if (rows < 0 || cols < 0 || (long) rows * cols != rowMajor.length) {
            throw new IllegalArgumentException("a " + rows + "×" + cols + " bfloat16 matrix needs " + ((long) rows * cols)
                    + " values, got " + rowMajor.length);
        }
        Bf16Matrix m = new Bf16Matrix(new short[rowMajor.length], rows, cols);
        for (int r = 0; r < rows; r++) {
            for (int c = 0, run; c < cols; c += run) {
                run = m.run(r, c, cols);
                System.arraycopy(rowMajor, r * cols + c, m.data, m.index(r, c), run);
            }
        }
        return m;
    }

    /** The matrix {@code t} [rows, cols] rounded to bfloat16 (nearest, ties to even). */
    public static Bf16Matrix of(Tensor t) {
        if (t.rank() != 2) throw new IllegalArgumentException("expected a matrix, got shape " + Arrays.toString(t.shape()));
        Tensor contiguous = t.contiguous();
        float[] src = contiguous.data();
        int off = contiguous.offset(), rows = t.dim(0), cols = t.dim(1);
        Bf16Matrix m = new Bf16Matrix(new short[rows * cols], rows, cols);
        for (int r = 0; r < rows; r++) {
            for (int c = 0, run; c < cols; c += run) {
                run = m.run(r, c, cols);
                int to = m.index(r, c), from = off + r * cols + c;
                for (int i = 0; i < run; i++) m.data[to + i] = BFloat16.fromFloat(src[from + i]);
            }
        }
        return m;
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    /** Rows stored in quads (see the class comment): a multiple of 4, 0 when the width is not a multiple of 16. */
    int quadRows() {
        return quadRows;
    }

    /** The storage, in the layout of the class comment (shared with the kernels, not a copy). */
    short[] storage() {
        return data;
    }

    /** How many of row r's columns [c, end) lie one after the other in storage from [r, c]: to the end of c's chunk in a quad. */
    private int run(int r, int c, int end) {
        return r < quadRows ? Math.min(end, (c | 15) + 1) - c : end - c;
    }

    /** Where element [r, c] is stored. */
    int index(int r, int c) {
        if (r < quadRows) return (r - (r & 3)) * cols + 4 * (c - (c & 15)) + 16 * (r & 3) + (c & 15);
        return r * cols + c;
    }

    /** The values row-major, as a file stores them (a copy). */
    public short[] toRowMajor() {
        short[] out = new short[data.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0, run; c < cols; c += run) {
                run = run(r, c, cols);
                System.arraycopy(data, index(r, c), out, r * cols + c, run);
            }
        }
        return out;
    }

    /** Whether {@code other} has the same shape and holds the same bfloat16 values, bit for bit. */
    public boolean sameValues(Bf16Matrix other) {
        return rows == other.rows && cols == other.cols && Arrays.equals(data, other.data);
    }

    /**
     * The first element, in row-major order, whose exponent bits are all ones (NaN or ±infinity), as
     * {@code {row, column}}; null when every value is finite.
     */
    public int[] firstNonFinite() {
        boolean any = false;                                   // a flat scan first: weights are almost always finite
        for (short v : data) any |= (v & 0x7F80) == 0x7F80;
        if (!any) return null;
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) if ((data[index(r, c)] & 0x7F80) == 0x7F80) return new int[] {r, c};
        }
        return null;
    }

    /** Element [r, c] widened to float32. */
    public float get(int r, int c) {
        return BFloat16.toFloat(data[index(r, c)]);
    }

    /** Row {@code r} widened into {@code dst} [cols] from {@code dstOff}. */
    public void widenRow(int r, float[] dst, int dstOff) {
        widen(r, 0, cols, dst, dstOff);
    }

    /** Columns [c0, c0 + count) of row {@code r}, widened into {@code dst} from {@code dstOff}. */
    void widen(int r, int c0, int count, float[] dst, int dstOff) {
        int c = c0, end = c0 + count;
        while (c < end) {
            int run = run(r, c, end), from = index(r, c);
            for (int i = 0; i < run; i++) dst[dstOff + c - c0 + i] = Float.intBitsToFloat((data[from + i] & 0xFFFF) << 16);
            c += run;
        }
    }

    /** A float32 copy [rows, cols] holding exactly these values. */
    public Tensor toTensor() {
        return rowsToTensor(0, rows);
    }

    /** Rows [from, to) as a float32 copy [to − from, cols] holding exactly these values. */
    public Tensor rowsToTensor(int from, int to) {
        if (from < 0 || to > rows || from > to) throw new IndexOutOfBoundsException("rows [" + from + ", " + to + ") of " + rows);
        float[] out = new float[(to - from) * cols];
        for (int r = from; r < to; r++) widen(r, 0, cols, out, (r - from) * cols);
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
        for (int r = 0; r < rows; r++) widen(r, from, w, out, r * w);
        return Tensor.of(out, rows, w);
    }

    /** Bytes held: 2 per value. */
    public long bytes() {
        return 2L * data.length;
    }
}
