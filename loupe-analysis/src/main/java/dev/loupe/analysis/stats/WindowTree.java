package dev.loupe.analysis.stats;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.TreeMap;
import java.util.function.BinaryOperator;

/**
 * A fixed merge order for summaries of windows 0..n-1, so that a result whose merge is not exactly
 * associative (floating-point moments) comes out bit for bit the same however the windows were
 * split among workers. The result is the root of a segment tree: node (level ℓ, index i) covers
 * windows [i·2^ℓ, (i+1)·2^ℓ) ∩ [0, n); a leaf is one window; an inner node is
 * {@code merge(left, right)}, or just its left child when the right one covers no window.
 *
 * <p>Any worker can build the nodes of a contiguous run of windows with a {@link Builder}; the
 * nodes of all runs are then finished with {@link #finish} (on one machine) or level by level with
 * {@link #parentKey}/{@link #combine}/{@link #promote} (e.g. Spark's {@code reduceByKey}). All paths
 * perform the same merges on the same operands.
 */
public final class WindowTree {
    private WindowTree() {}

    /** A summary of the windows under tree node (level, index). */
    public record Node<T>(int level, long index, T value) implements Serializable {}

    /** Levels of the tree over n windows: ⌈log2 n⌉ (0 for one window). */
    public static int levels(long n) {
        if (n < 1) throw new IllegalArgumentException("no windows");
        return 64 - Long.numberOfLeadingZeros(n - 1);
    }

    /**
     * Folds consecutive windows into the largest complete tree nodes they fill, merging a node with
     * its left sibling as soon as both are there. Feed windows in increasing index order.
     */
    public static final class Builder<T> {
        private final BinaryOperator<T> merge;
        private final List<Node<T>> stack = new ArrayList<>();

        public Builder(BinaryOperator<T> merge) {
            this.merge = merge;
        }

        /** Adds window {@code index}'s summary; indices must increase by one from the previous call. */
        public void add(long index, T value) {
            if (!stack.isEmpty()) {
                Node<T> top = stack.getLast();
                long next = (top.index() + 1) << top.level();
                if (index != next) throw new IllegalArgumentException("window " + index + " after window " + (next - 1));
            }
            Node<T> node = new Node<>(0, index, value);
            while (!stack.isEmpty()) {
                Node<T> left = stack.getLast();
                if (left.level() != node.level() || (left.index() & 1) != 0 || left.index() + 1 != node.index()) break;
                stack.removeLast();
                node = new Node<>(node.level() + 1, left.index() >> 1, merge.apply(left.value(), node.value()));
            }
            stack.add(node);
        }

        /** The nodes built so far, in window order. */
        public List<Node<T>> nodes() {
            return List.copyOf(stack);
        }

        /**
         * The nodes built so far, with what can be finished knowing that there are {@code n}
         * windows in all: a last node whose right sibling covers no window moves up, and merges
         * with its left sibling when that is here. A run of {@link #runs} ends as one node.
         */
        public List<Node<T>> nodes(long n) {
            List<Node<T>> out = new ArrayList<>(stack);
            while (!out.isEmpty()) {
                Node<T> top = out.getLast();
                if ((top.index() & 1) != 0 || ((top.index() + 1) << top.level()) < n || top.level() >= levels(n)) break;
                Node<T> up = new Node<>(top.level() + 1, top.index() >> 1, top.value());
                out.removeLast();
                while (!out.isEmpty()) {
                    Node<T> left = out.getLast();
                    if (left.level() != up.level() || left.index() + 1 != up.index() || (left.index() & 1) != 0) break;
                    out.removeLast();
                    up = new Node<>(up.level() + 1, left.index() >> 1, merge.apply(left.value(), up.value()));
                }
                out.add(up);
            }
            return List.copyOf(out);
        }
    }

    /**
     * Splits windows 0..n-1 into at most {@code parts} runs aligned to the tree: each run but the
     * last covers exactly one node of 2^m windows (m the smallest level that needs no more than
     * {@code parts} runs), so a worker folds a run into a single node and only about
     * {@code 2 · runs} nodes are ever merged across workers. Each element is {from, to}.
     */
    public static List<long[]> runs(long n, int parts) {
        if (parts < 1) throw new IllegalArgumentException("parts must be positive");
        long per = (n + parts - 1) / parts;
        int m = levels(per);
        long block = 1L << m;
        List<long[]> out = new ArrayList<>();
        for (long from = 0; from < n; from += block) out.add(new long[] {from, Math.min(n, from + block)});
        return out;
    }

    /** Key (level + 1, index / 2) a level-{@code level} node passes up under, or its own key when it is above that level. */
    public static long[] parentKey(Node<?> node, int level) {
        return node.level() == level ? new long[] {level + 1, node.index() >> 1} : new long[] {node.level(), node.index()};
    }

    /** The parent of two siblings, given in either order: merge(left, right). */
    public static <T> Node<T> combine(Node<T> a, Node<T> b, BinaryOperator<T> merge) {
        if (a.level() != b.level() || (a.index() >> 1) != (b.index() >> 1) || a.index() == b.index()) {
            throw new IllegalStateException("not siblings: " + a.level() + "/" + a.index() + " and " + b.level() + "/" + b.index());
        }
        Node<T> left = a.index() < b.index() ? a : b, right = left == a ? b : a;
        return new Node<>(a.level() + 1, left.index() >> 1, merge.apply(left.value(), right.value()));
    }

    /**
     * A level-{@code level} node that found no sibling, moved up: allowed only when its right sibling
     * covers no window ({@code n} windows in all); a missing window otherwise is an error.
     */
    public static <T> Node<T> promote(Node<T> node, int level, long n) {
        if (node.level() != level) return node;
        if ((node.index() & 1) != 0 || ((node.index() + 1) << level) < n) {
            throw new IllegalStateException("tree node " + level + "/" + node.index() + " has no sibling: a window is missing");
        }
        return new Node<>(level + 1, node.index() >> 1, node.value());
    }

    /** The root over {@code n} windows from the nodes of runs that together cover each window once. */
    public static <T> T finish(Collection<Node<T>> nodes, long n, BinaryOperator<T> merge) {
        List<Node<T>> current = new ArrayList<>(nodes);
        int levels = levels(n);
        for (int level = 0; level < levels; level++) {
            TreeMap<String, Node<T>> byKey = new TreeMap<>();
            for (Node<T> node : current) {
                long[] k = parentKey(node, level);
                String key = k[0] + "/" + k[1];
                Node<T> seen = byKey.get(key);
                byKey.put(key, seen == null ? node : combine(seen, node, merge));
            }
            current = new ArrayList<>();
            for (Node<T> node : byKey.values()) current.add(promote(node, level, n));
        }
        if (current.size() != 1 || current.getFirst().level() != levels) {
            throw new IllegalStateException(current.size() + " tree roots over " + n + " windows: windows overlap or are missing");
        }
        return current.getFirst().value();
    }
}
