package dev.loupe.analysis.circuits;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The k best (value, row, column) triples seen so far: a bounded min-heap whose root is the worst
 * kept entry. The order is total (larger value first, ties by smaller row, then smaller column), so
 * the result does not depend on the order entries are offered in — parallel scans merge their
 * partial heaps and get the same answer as a sequential scan.
 */
final class TopEntries {
    private final int capacity;
    private final float[] values;
    private final int[] rows, cols;
    private int size;

    TopEntries(int capacity) {
        this.capacity = capacity;
        this.values = new float[capacity];
        this.rows = new int[capacity];
        this.cols = new int[capacity];
    }

    /** Whether v could enter (a cheap test before {@link #offer}). */
    boolean admits(float v) {
        return size < capacity || v >= values[0];
    }

    void offer(float v, int row, int col) {
        if (capacity == 0) return;
        if (size < capacity) {
            values[size] = v;
            rows[size] = row;
            cols[size] = col;
            up(size++);
        } else if (better(v, row, col, 0)) {
            values[0] = v;
            rows[0] = row;
            cols[0] = col;
            down(0);
        }
    }

    void addAll(TopEntries other) {
        for (int i = 0; i < other.size; i++) offer(other.values[i], other.rows[i], other.cols[i]);
    }

    /** The kept entries, best first, with their values multiplied by {@code sign}. */
    List<FactoredMatrix.Entry> sorted(double sign) {
        List<FactoredMatrix.Entry> out = new ArrayList<>(size);
        for (int i = 0; i < size; i++) out.add(new FactoredMatrix.Entry(rows[i], cols[i], values[i]));
        out.sort(Comparator.comparingDouble(FactoredMatrix.Entry::value).reversed()
                .thenComparingInt(FactoredMatrix.Entry::row).thenComparingInt(FactoredMatrix.Entry::column));
        if (sign == 1) return out;
        return out.stream().map(e -> new FactoredMatrix.Entry(e.row(), e.column(), sign * e.value())).toList();
    }

    /** Whether (v, row, col) ranks above the entry at heap slot i. */
    private boolean better(float v, int row, int col, int i) {
        if (v != values[i]) return v > values[i];
        if (row != rows[i]) return row < rows[i];
        return col < cols[i];
    }

    private void up(int i) {
        while (i > 0) {
            int p = (i - 1) / 2;
            if (!better(values[p], rows[p], cols[p], i)) break;   // parent is worse-or-equal: heap holds
            swap(i, p);
            i = p;
        }
    }

    private void down(int i) {
        while (true) {
            int l = 2 * i + 1, r = l + 1, w = i;
            if (l < size && better(values[w], rows[w], cols[w], l)) w = l;
            if (r < size && better(values[w], rows[w], cols[w], r)) w = r;
            if (w == i) return;
            swap(i, w);
            i = w;
        }
    }

    private void swap(int i, int j) {
        float v = values[i]; values[i] = values[j]; values[j] = v;
        int r = rows[i]; rows[i] = rows[j]; rows[j] = r;
        int c = cols[i]; cols[i] = cols[j]; cols[j] = c;
    }
}
