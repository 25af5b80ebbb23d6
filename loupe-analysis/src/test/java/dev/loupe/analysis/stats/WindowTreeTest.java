package dev.loupe.analysis.stats;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.BinaryOperator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The merge order is a function of the window count alone: with a merge that records its shape
 * (a non-associative operator), every split of the windows into runs yields the same expression.
 */
class WindowTreeTest {
    static final BinaryOperator<String> SHAPE = (a, b) -> "(" + a + " " + b + ")";

    static String run(long n, List<Long> cuts) {
        List<WindowTree.Node<String>> nodes = new ArrayList<>();
        long from = 0;
        List<Long> ends = new ArrayList<>(cuts);
        ends.add(n);
        for (long to : ends) {
            WindowTree.Builder<String> b = new WindowTree.Builder<>(SHAPE);
            for (long i = from; i < to; i++) b.add(i, Long.toString(i));
            nodes.addAll(b.nodes());
            from = to;
        }
        java.util.Collections.shuffle(nodes, new Random(n));
        return WindowTree.finish(nodes, n, SHAPE);
    }

    @Test
    void everySplitGivesTheSameMergeOrder() {
        Random r = new Random(3);
        for (long n : new long[] {1, 2, 3, 5, 8, 13, 37, 64, 100}) {
            String whole = run(n, List.of());
            for (int trial = 0; trial < 20; trial++) {
                List<Long> cuts = new ArrayList<>();
                for (long i = 1; i < n; i++) if (r.nextInt(4) == 0) cuts.add(i);
                assertThat(run(n, cuts)).as("n=%d cuts=%s", n, cuts).isEqualTo(whole);
            }
        }
        assertThat(run(5, List.of())).isEqualTo("(((0 1) (2 3)) 4)");
        assertThat(run(1, List.of())).isEqualTo("0");
    }

    @Test
    void alignedRunsEndAsOneNodeEachAndGiveTheSameMergeOrder() {
        for (long n : new long[] {1, 2, 5, 13, 37, 64, 100}) {
            for (int parts : new int[] {1, 2, 3, 7, 16}) {
                List<long[]> runs = WindowTree.runs(n, parts);
                assertThat(runs.size()).isLessThanOrEqualTo(parts);
                List<WindowTree.Node<String>> nodes = new ArrayList<>();
                long expect = 0;
                for (long[] r : runs) {
                    assertThat(r[0]).isEqualTo(expect);
                    expect = r[1];
                    WindowTree.Builder<String> b = new WindowTree.Builder<>(SHAPE);
                    for (long i = r[0]; i < r[1]; i++) b.add(i, Long.toString(i));
                    List<WindowTree.Node<String>> own = b.nodes(n);
                    assertThat(own).as("n=%d parts=%d run %d..%d", n, parts, r[0], r[1]).hasSize(1);
                    nodes.addAll(own);
                }
                assertThat(expect).isEqualTo(n);
                assertThat(WindowTree.finish(nodes, n, SHAPE)).isEqualTo(run(n, List.of()));
            }
        }
    }

    @Test
    void aMissingOrRepeatedWindowIsAnError() {
        WindowTree.Builder<String> b = new WindowTree.Builder<>(SHAPE);
        b.add(0, "0");
        b.add(1, "1");
        List<WindowTree.Node<String>> nodes = new ArrayList<>(b.nodes());
        assertThatThrownBy(() -> WindowTree.finish(nodes, 3, SHAPE)).hasMessageContaining("missing");
        nodes.add(new WindowTree.Node<>(0, 1, "1"));
        nodes.add(new WindowTree.Node<>(0, 2, "2"));
        assertThatThrownBy(() -> WindowTree.finish(nodes, 3, SHAPE)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> b.add(3, "3")).hasMessageContaining("window 3 after window 1");
    }
}
