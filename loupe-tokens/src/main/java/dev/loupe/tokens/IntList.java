package dev.loupe.tokens;

import java.util.Arrays;

/** A growable int array: token ids without boxing. */
public final class IntList {
    private int[] data;
    private int size;

    public IntList(int capacity) {
        data = new int[Math.max(4, capacity)];
    }

    public void add(int v) {
        if (size == data.length) data = Arrays.copyOf(data, data.length * 2);
        data[size++] = v;
    }

    public void addAll(int[] vs) {
        addAll(vs, 0, vs.length);
    }

    public void addAll(int[] vs, int from, int to) {
        int n = to - from;
        if (size + n > data.length) data = Arrays.copyOf(data, Math.max(data.length * 2, size + n));
        System.arraycopy(vs, from, data, size, n);
        size += n;
    }

    public int size() {
        return size;
    }

    public int get(int i) {
        return data[i];
    }

    public int[] toArray() {
        return Arrays.copyOf(data, size);
    }
}
