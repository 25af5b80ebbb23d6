package dev.loupe.tensor;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * A float32 tensor: a shape, strides and an offset into a heap {@code float[]}.
 *
 * <p>Storage is row-major. Views ({@link #reshape}, {@link #slice}, {@link #select},
 * {@link #transpose}) share the backing array and never copy; {@link #contiguous()} copies only
 * when the view is not already dense row-major. Kernels in this module ask for contiguous
 * operands (or a 2-D matrix whose last stride is 1, with a leading dimension, as BLAS does), so a
 * per-head slice of a weight matrix such as W_Q^h = c_attn[:, h·d_head : (h+1)·d_head] is a view,
 * not a copy.
 *
 * <p>Why {@code float[]} rather than off-heap memory: the Vector API and BLAS (through FFM with
 * critical downcalls) both read heap arrays at full speed, and a GPT-2-sized tensor fits easily in
 * 2^31 elements.
 */
public final class Tensor {
    private final float[] data;
    private final int offset;
    private final int[] shape;
    private final int[] strides;

    private Tensor(float[] data, int offset, int[] shape, int[] strides) {
        this.data = data;
        this.offset = offset;
        this.shape = shape;
        this.strides = strides;
    }

    // ---------------------------------------------------------------- construction

    /** A new tensor of zeros with the given shape. */
    public static Tensor zeros(int... shape) {
        return new Tensor(new float[(int) checkedSize(shape)], 0, shape.clone(), rowMajorStrides(shape));
    }

    /** Wraps {@code data} (not copied) as a contiguous tensor of the given shape. */
    public static Tensor of(float[] data, int... shape) {
        long n = checkedSize(shape);
        if (n != data.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " needs " + n
                    + " values but the array holds " + data.length);
        }
        return new Tensor(data, 0, shape.clone(), rowMajorStrides(shape));
    }

    /** Wraps {@code data} from {@code offset} (not copied) as a contiguous tensor. */
    public static Tensor wrap(float[] data, int offset, int... shape) {
        long n = checkedSize(shape);
        if (offset < 0 || offset + n > data.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " at offset " + offset
                    + " does not fit in an array of " + data.length);
        }
        return new Tensor(data, offset, shape.clone(), rowMajorStrides(shape));
    }

    /** A scalar (rank-0) tensor. */
    public static Tensor scalar(float v) {
        return new Tensor(new float[] {v}, 0, new int[0], new int[0]);
    }

    /** Gaussian N(0, std²) entries from a seeded generator: the same seed gives the same tensor. */
    public static Tensor randn(long seed, float std, int... shape) {
        Tensor t = zeros(shape);
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < t.data.length; i++) t.data[i] = (float) (gaussian(r) * std);
        return t;
    }

    /** Uniform entries in [lo, hi) from a seeded generator. */
    public static Tensor uniform(long seed, float lo, float hi, int... shape) {
        Tensor t = zeros(shape);
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < t.data.length; i++) t.data[i] = (float) (lo + (hi - lo) * r.nextDouble());
        return t;
    }

    /** Box–Muller standard normal; deterministic for a given generator state. */
    public static double gaussian(SplittableRandom r) {
        double u1 = r.nextDouble();
        double u2 = r.nextDouble();
        return Math.sqrt(-2.0 * Math.log(1.0 - u1)) * Math.cos(2.0 * Math.PI * u2);
    }

    // ---------------------------------------------------------------- shape

    public int rank() { return shape.length; }

    /** Size of dimension {@code d}; negative {@code d} counts from the end. */
    public int dim(int d) { return shape[axis(d)]; }

    public int[] shape() { return shape.clone(); }

    public int stride(int d) { return strides[axis(d)]; }

    public int[] strides() { return strides.clone(); }

    /** Number of elements. */
    public int size() { return (int) checkedSize(shape); }

    /** The backing array (shared, not a copy). Index it with {@link #offset()} and the strides. */
    public float[] data() { return data; }

    /**
     * The backing array of a contiguous tensor, for kernels that write in place from {@link #offset()};
     * throws if this tensor is a non-contiguous view (writing through it would scramble elements).
     */
    public float[] contiguousData() {
        if (!isContiguous()) {
            throw new IllegalArgumentException("expected a contiguous tensor, got a view of shape "
                    + Arrays.toString(shape) + " with strides " + Arrays.toString(strides));
        }
        return data;
    }

    /** Index of element [0, 0, …] in {@link #data()}. */
    public int offset() { return offset; }

    /** True when the elements are dense and row-major from {@link #offset()}. */
    public boolean isContiguous() {
        int expected = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            if (shape[d] != 1 && strides[d] != expected) return false;
            expected *= shape[d];
        }
        return true;
    }

    /** True for a 2-D tensor whose rows are dense (last stride 1): usable as a BLAS matrix with lda = stride(0). */
    public boolean isRowDense2d() {
        return shape.length == 2 && (strides[1] == 1 || shape[1] == 1);
    }

    public boolean sameShape(Tensor o) { return Arrays.equals(shape, o.shape); }

    // ---------------------------------------------------------------- views

    /** A view with a new shape (one entry may be -1); copies only if this tensor is not contiguous. */
    public Tensor reshape(int... newShape) {
        int[] s = newShape.clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < s.length; i++) {
            if (s[i] == -1) {
                if (infer >= 0) throw new IllegalArgumentException("only one -1 allowed in " + Arrays.toString(newShape));
                infer = i;
            } else {
                if (s[i] < 0) throw new IllegalArgumentException("negative size in " + Arrays.toString(newShape));
                known *= s[i];
            }
        }
        int n = size();
        if (infer >= 0) {
            if (known == 0 || n % known != 0) {
                throw new IllegalArgumentException("cannot reshape " + Arrays.toString(shape) + " to " + Arrays.toString(newShape));
            }
            s[infer] = (int) (n / known);
        }
        if (checkedSize(s) != n) {
            throw new IllegalArgumentException("cannot reshape " + Arrays.toString(shape) + " to " + Arrays.toString(newShape));
        }
        Tensor base = isContiguous() ? this : contiguous();
        return new Tensor(base.data, base.offset, s, rowMajorStrides(s));
    }

    /** The view [start, end) along dimension {@code d}; no copy. */
    public Tensor slice(int d, int start, int end) {
        int a = axis(d);
        if (start < 0 || end > shape[a] || start > end) {
            throw new IndexOutOfBoundsException("slice [" + start + ", " + end + ") of dimension " + a
                    + " with size " + shape[a]);
        }
        int[] s = shape.clone();
        s[a] = end - start;
        return new Tensor(data, offset + start * strides[a], s, strides.clone());
    }

    /** The view at {@code index} along dimension {@code d}, with that dimension removed; no copy. */
    public Tensor select(int d, int index) {
        int a = axis(d);
        if (index < 0 || index >= shape[a]) {
            throw new IndexOutOfBoundsException("index " + index + " of dimension " + a + " with size " + shape[a]);
        }
        int[] s = new int[shape.length - 1];
        int[] st = new int[shape.length - 1];
        for (int i = 0, j = 0; i < shape.length; i++) {
            if (i == a) continue;
            s[j] = shape[i];
            st[j++] = strides[i];
        }
        return new Tensor(data, offset + index * strides[a], s, st);
    }

    /** The view with dimensions {@code a} and {@code b} swapped; no copy. */
    public Tensor transpose(int a, int b) {
        int x = axis(a), y = axis(b);
        int[] s = shape.clone();
        int[] st = strides.clone();
        s[x] = shape[y]; s[y] = shape[x];
        st[x] = strides[y]; st[y] = strides[x];
        return new Tensor(data, offset, s, st);
    }

    /** This tensor if already contiguous, else a dense row-major copy. */
    public Tensor contiguous() {
        return isContiguous() ? this : copy();
    }

    /** A dense row-major copy (never shares storage). */
    public Tensor copy() {
        Tensor out = zeros(shape);
        copyInto(out);
        return out;
    }

    /** Copies this tensor's elements into {@code dst}, which must have the same shape. */
    public void copyInto(Tensor dst) {
        requireSameShape(this, dst, "copyInto");
        if (isContiguous() && dst.isContiguous()) {
            System.arraycopy(data, offset, dst.data, dst.offset, size());
            return;
        }
        int n = size();
        int[] idx = new int[shape.length];
        for (int i = 0; i < n; i++) {
            dst.data[dst.linear(idx)] = data[linear(idx)];
            increment(idx);
        }
    }

    /** The elements in row-major order, always a fresh array. */
    public float[] toArray() {
        return copy().data;
    }

    // ---------------------------------------------------------------- elements

    public float get(int... idx) { return data[linear(idx)]; }

    public void set(float v, int... idx) { data[linear(idx)] = v; }

    /** Sets every element to {@code v}. */
    public Tensor fill(float v) {
        if (isContiguous()) {
            Arrays.fill(data, offset, offset + size(), v);
        } else {
            int n = size();
            int[] idx = new int[shape.length];
            for (int i = 0; i < n; i++) { data[linear(idx)] = v; increment(idx); }
        }
        return this;
    }

    /** Index into {@link #data()} of the element at {@code idx}. */
    public int linear(int... idx) {
        if (idx.length != shape.length) {
            throw new IllegalArgumentException("expected " + shape.length + " indices, got " + idx.length);
        }
        int p = offset;
        for (int i = 0; i < idx.length; i++) {
            if (idx[i] < 0 || idx[i] >= shape[i]) {
                throw new IndexOutOfBoundsException("index " + Arrays.toString(idx) + " out of shape " + Arrays.toString(shape));
            }
            p += idx[i] * strides[i];
        }
        return p;
    }

    /** Largest absolute elementwise difference to {@code o} (same shape); NaN anywhere gives NaN. */
    public float maxAbsDiff(Tensor o) {
        requireSameShape(this, o, "maxAbsDiff");
        float[] a = toArray(), b = o.toArray();
        float m = 0;
        for (int i = 0; i < a.length; i++) {
            float d = Math.abs(a[i] - b[i]);
            if (Float.isNaN(d)) return Float.NaN;
            m = Math.max(m, d);
        }
        return m;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("Tensor").append(Arrays.toString(shape)).append(' ');
        float[] a = toArray();
        int show = Math.min(a.length, 8);
        sb.append('[');
        for (int i = 0; i < show; i++) {
            if (i > 0) sb.append(", ");
            sb.append(String.format("%.4g", a[i]));
        }
        if (a.length > show) sb.append(", …");
        return sb.append(']').toString();
    }

    // ---------------------------------------------------------------- helpers

    /** Throws a clear error unless {@code a} and {@code b} have the same shape. */
    public static void requireSameShape(Tensor a, Tensor b, String op) {
        if (!a.sameShape(b)) {
            throw new IllegalArgumentException(op + ": shapes differ, " + Arrays.toString(a.shape)
                    + " vs " + Arrays.toString(b.shape));
        }
    }

    /** Row-major strides for {@code shape}. */
    public static int[] rowMajorStrides(int[] shape) {
        int[] st = new int[shape.length];
        int s = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            st[d] = s;
            s *= shape[d];
        }
        return st;
    }

    private static long checkedSize(int[] shape) {
        long n = 1;
        for (int s : shape) {
            if (s < 0) throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
            n *= s;
        }
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("tensor of shape " + Arrays.toString(shape) + " is too large for one array");
        }
        return n;
    }

    private int axis(int d) {
        int a = d < 0 ? d + shape.length : d;
        if (a < 0 || a >= shape.length) {
            throw new IndexOutOfBoundsException("dimension " + d + " of a rank-" + shape.length + " tensor");
        }
        return a;
    }

    private void increment(int[] idx) {
        for (int d = idx.length - 1; d >= 0; d--) {
            if (++idx[d] < shape[d]) return;
            idx[d] = 0;
        }
    }
}
