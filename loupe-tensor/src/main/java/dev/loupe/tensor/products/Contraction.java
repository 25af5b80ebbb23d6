package dev.loupe.tensor.products;

import dev.loupe.tensor.Tensor;
import dev.loupe.tensor.matmul.Matmul;

import java.util.Arrays;

/**
 * Tensor contraction over chosen axes, like {@code numpy.tensordot}: sums the products of a's and b's
 * entries over paired axes, e.g. projecting a residual stream X [T, d] through all heads' query
 * weights W [d, H, d_head] at once: {@code Q[t, h, e] = Σ_i X[t, i]·W[i, h, e]}.
 *
 * <p>Computed by permuting a to [free_a…, contracted…] and b to [contracted…, free_b…], flattening
 * both to matrices and multiplying them with {@link Matmul}.
 */
public final class Contraction {
    private Contraction() {}

    /**
     * {@code out[free_a…, free_b…] = Σ_{c…} a[…] · b[…]} where axis {@code axesA[i]} of a is paired with
     * axis {@code axesB[i]} of b (equal sizes). The result's axes are a's free axes in order, then b's.
     */
    public static Tensor tensordot(Tensor a, Tensor b, int[] axesA, int[] axesB) {
        if (axesA.length != axesB.length) {
            throw new IllegalArgumentException("tensordot: " + axesA.length + " axes of a paired with " + axesB.length + " of b");
        }
        int[] ca = normalise(axesA, a.rank(), "a"), cb = normalise(axesB, b.rank(), "b");
        int k = 1;
        for (int i = 0; i < ca.length; i++) {
            if (a.dim(ca[i]) != b.dim(cb[i])) {
                throw new IllegalArgumentException("tensordot: axis " + ca[i] + " of a " + Arrays.toString(a.shape()) + " and axis "
                        + cb[i] + " of b " + Arrays.toString(b.shape()) + " differ in size");
            }
            k *= a.dim(ca[i]);
        }
        int[] fa = free(ca, a.rank()), fb = free(cb, b.rank());
        int m = 1, n = 1;
        int[] outShape = new int[fa.length + fb.length];
        for (int i = 0; i < fa.length; i++) m *= outShape[i] = a.dim(fa[i]);
        for (int i = 0; i < fb.length; i++) n *= outShape[fa.length + i] = b.dim(fb[i]);
        Tensor am = permute(a, concat(fa, ca)).reshape(m, k);
        Tensor bm = permute(b, concat(cb, fb)).reshape(k, n);
        Tensor out = Tensor.zeros(m, n);
        if (k == 0) return out.reshape(outShape);
        Matmul.gemm(false, false, 1f, am, bm, 0f, out);
        return out.reshape(outShape);
    }

    /** numpy's {@code tensordot(a, b, axes=n)}: contracts the last n axes of a with the first n of b. */
    public static Tensor tensordot(Tensor a, Tensor b, int n) {
        int[] axesA = new int[n], axesB = new int[n];
        for (int i = 0; i < n; i++) {
            axesA[i] = a.rank() - n + i;
            axesB[i] = i;
        }
        return tensordot(a, b, axesA, axesB);
    }

    /** The view of {@code t} whose axis i is t's axis {@code perm[i]} (no copy), built from transpositions. */
    public static Tensor permute(Tensor t, int... perm) {
        if (perm.length != t.rank()) throw new IllegalArgumentException("permute: " + perm.length + " axes for a rank-" + t.rank() + " tensor");
        int[] current = new int[perm.length]; // current[i] = original axis now at position i
        for (int i = 0; i < current.length; i++) current[i] = i;
        Tensor v = t;
        for (int i = 0; i < perm.length; i++) {
            int j = i;
            while (j < current.length && current[j] != perm[i]) j++;
            if (j == current.length) throw new IllegalArgumentException("permute: " + Arrays.toString(perm) + " is not a permutation");
            if (j != i) {
                v = v.transpose(i, j);
                int s = current[i]; current[i] = current[j]; current[j] = s;
            }
        }
        return v;
    }

    private static int[] normalise(int[] axes, int rank, String which) {
        int[] out = new int[axes.length];
        boolean[] seen = new boolean[rank];
        for (int i = 0; i < axes.length; i++) {
            int ax = axes[i] < 0 ? axes[i] + rank : axes[i];
            if (ax < 0 || ax >= rank || seen[ax]) {
                throw new IllegalArgumentException("tensordot: bad or repeated axis " + axes[i] + " of " + which + " (rank " + rank + ")");
            }
            seen[ax] = true;
            out[i] = ax;
        }
        return out;
    }

    private static int[] free(int[] contracted, int rank) {
        boolean[] c = new boolean[rank];
        for (int ax : contracted) c[ax] = true;
        return java.util.stream.IntStream.range(0, rank).filter(i -> !c[i]).toArray();
    }

    private static int[] concat(int[] x, int[] y) {
        int[] out = Arrays.copyOf(x, x.length + y.length);
        System.arraycopy(y, 0, out, x.length, y.length);
        return out;
    }
}
