package dev.loupe.sae;

import dev.loupe.tensor.Tensor;

import java.util.Arrays;

/**
 * Every positive activation of every unit over a token stream, kept per unit in token order
 * (positions and values): what a dashboard needs to pick examples, count density, draw the
 * histogram and colour the tokens around an example. Memory: 8 bytes per positive activation.
 */
final class UnitActivations {
    private final int[][] positions;
    private final float[][] values;
    private final int[] size;
    private final boolean[] kept;

    /** Keeps units {@code u} with {@code kept[u]}; the others are only counted ({@link #count}). */
    UnitActivations(int units, boolean[] kept) {
        positions = new int[units][];
        values = new float[units][];
        size = new int[units];
        this.kept = kept;
        for (int u = 0; u < units; u++) {
            positions[u] = new int[kept[u] ? 16 : 0];
            values[u] = new float[kept[u] ? 16 : 0];
        }
    }

    /** Adds the positive entries of activations [N, units] for tokens {@code first … first + N − 1}. */
    void add(Tensor activations, int first) {
        int n = activations.dim(0), units = positions.length;
        float[] a = activations.contiguousData();
        for (int t = 0; t < n; t++) {
            int row = t * units;
            for (int u = 0; u < units; u++) {
                float x = a[row + u];
                if (!(x > 0f)) continue;                   // active = positive
                if (kept[u]) {
                    if (size[u] == positions[u].length) {
                        positions[u] = Arrays.copyOf(positions[u], 2 * size[u]);
                        values[u] = Arrays.copyOf(values[u], 2 * size[u]);
                    }
                    positions[u][size[u]] = first + t;
                    values[u][size[u]] = x;
                }
                size[u]++;
            }
        }
    }

    /** How many tokens unit {@code u} was active (positive) on. */
    int count(int u) {
        return size[u];
    }

    /** Token positions of unit {@code u}'s positive activations, ascending (length {@link #count}). */
    int[] positions(int u) {
        return Arrays.copyOf(positions[u], size[u]);
    }

    /** Its values, in the same order. */
    float[] values(int u) {
        return Arrays.copyOf(values[u], size[u]);
    }

    /** Unit {@code u}'s activation at token {@code p} (0 where it was zero). */
    float at(int u, int p) {
        int i = Arrays.binarySearch(positions[u], 0, size[u], p);
        return i >= 0 ? values[u][i] : 0f;
    }
}
