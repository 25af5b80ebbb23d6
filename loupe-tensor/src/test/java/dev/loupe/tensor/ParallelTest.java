package dev.loupe.tensor;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The caller-runs split: every index exactly once, nested calls inline, failures rethrown after every chunk ended. */
class ParallelTest {
    @Test
    void everyIndexRunsExactlyOnceAndNestedCallsWork() {
        for (int n : new int[] {1, 2, 7, 100, 10_000}) {
            AtomicIntegerArray seen = new AtomicIntegerArray(n);
            Parallel.forRange(n, 1, (from, to) -> {
                for (int i = from; i < to; i++) seen.incrementAndGet(i);
                Parallel.forRange(50, 1, (a, b) -> { });                     // a nested kernel
            });
            for (int i = 0; i < n; i++) assertThat(seen.get(i)).as("n %d index %d", n, i).isEqualTo(1);
        }
    }

    @Test
    void aFailingChunkIsRethrownToTheCaller() {
        for (int round = 0; round < 20; round++) {
            assertThatThrownBy(() -> Parallel.forRange(64, 1, (from, to) -> {
                if (from == 0) throw new IllegalStateException("chunk 0");
            })).isInstanceOf(IllegalStateException.class).hasMessage("chunk 0");
        }
        int[] sum = new int[1];
        Parallel.forRange(1, 1, (from, to) -> sum[0] += to - from);          // the pool still works afterwards
        assertThat(sum[0]).isEqualTo(1);
    }
}
