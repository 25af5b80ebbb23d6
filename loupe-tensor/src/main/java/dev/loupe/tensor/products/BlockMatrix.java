package dev.loupe.tensor.products;

import dev.loupe.tensor.Tensor;
import dev.loupe.tensor.matmul.Matmul;

import java.util.Arrays;

/**
 * Block matrices: a matrix partitioned into a grid of sub-matrices (blocks), as in multi-head
 * attention, where W_Q = [W_Q¹ | … | W_Q^H] is a row of per-head blocks. Splitting gives views;
 * assembling copies; the block product {@code C_ij = Σ_k A_ik·B_kj} equals the full product whenever
 * A's column partition matches B's row partition.
 */
public final class BlockMatrix {
    private BlockMatrix() {}

    /**
     * Splits A [m, n] into a grid of views: block (i, j) has {@code rowSizes[i]} rows and
     * {@code colSizes[j]} columns; the sizes must add up to m and n.
     */
    public static Tensor[][] split(Tensor a, int[] rowSizes, int[] colSizes) {
        Products.requireMatrix(a, "split");
        checkSizes(rowSizes, a.dim(0), "row");
        checkSizes(colSizes, a.dim(1), "column");
        Tensor[][] grid = new Tensor[rowSizes.length][colSizes.length];
        for (int i = 0, r = 0; i < rowSizes.length; r += rowSizes[i++]) {
            for (int j = 0, c = 0; j < colSizes.length; c += colSizes[j++]) {
                grid[i][j] = a.slice(0, r, r + rowSizes[i]).slice(1, c, c + colSizes[j]);
            }
        }
        return grid;
    }

    /**
     * Assembles a grid of blocks into one matrix. Blocks in a grid row share their row count, blocks
     * in a grid column share their column count.
     */
    public static Tensor assemble(Tensor[][] blocks) {
        if (blocks.length == 0 || blocks[0].length == 0) throw new IllegalArgumentException("assemble: empty grid of blocks");
        int gr = blocks.length, gc = blocks[0].length;
        int[] rows = new int[gr], cols = new int[gc];
        for (int i = 0; i < gr; i++) {
            if (blocks[i].length != gc) throw new IllegalArgumentException("assemble: grid row " + i + " has " + blocks[i].length + " blocks, expected " + gc);
            for (int j = 0; j < gc; j++) {
                Tensor b = blocks[i][j];
                Products.requireMatrix(b, "assemble");
                if (j == 0) rows[i] = b.dim(0);
                if (i == 0) cols[j] = b.dim(1);
                if (b.dim(0) != rows[i] || b.dim(1) != cols[j]) {
                    throw new IllegalArgumentException("assemble: block (" + i + ", " + j + ") is " + Arrays.toString(b.shape())
                            + ", expected [" + rows[i] + ", " + cols[j] + "]");
                }
            }
        }
        Tensor out = Tensor.zeros(Arrays.stream(rows).sum(), Arrays.stream(cols).sum());
        Tensor[][] views = split(out, rows, cols);
        for (int i = 0; i < gr; i++) for (int j = 0; j < gc; j++) blocks[i][j].copyInto(views[i][j]);
        return out;
    }

    /**
     * Block product {@code C_ij = Σ_k A_ik·B_kj} of a p×q grid and a q×r grid whose inner partitions
     * match (A_ik's columns = B_kj's rows); returns the p×r grid of product blocks.
     */
    public static Tensor[][] multiply(Tensor[][] a, Tensor[][] b) {
        int p = a.length, q = a[0].length, r = b[0].length;
        if (b.length != q) throw new IllegalArgumentException("multiply: a grid with " + q + " block columns times one with " + b.length + " block rows");
        Tensor[][] c = new Tensor[p][r];
        for (int i = 0; i < p; i++) {
            for (int j = 0; j < r; j++) {
                Tensor acc = Tensor.zeros(a[i][0].dim(0), b[0][j].dim(1));
                for (int k = 0; k < q; k++) Matmul.gemm(false, false, 1f, a[i][k], b[k][j], 1f, acc);
                c[i][j] = acc;
            }
        }
        return c;
    }

    private static void checkSizes(int[] sizes, int total, String what) {
        int s = 0;
        for (int v : sizes) {
            if (v < 0) throw new IllegalArgumentException("split: negative " + what + " block size in " + Arrays.toString(sizes));
            s += v;
        }
        if (s != total) throw new IllegalArgumentException("split: " + what + " block sizes " + Arrays.toString(sizes) + " add up to " + s + ", not " + total);
    }
}
