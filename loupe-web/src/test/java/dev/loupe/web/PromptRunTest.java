package dev.loupe.web;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class PromptRunTest {
    @Test
    void topMatchesAFullSortAndSoftmax() {
        SplittableRandom r = new SplittableRandom(7);
        for (int trial = 0; trial < 50; trial++) {
            int v = 1 + r.nextInt(300), from = r.nextInt(5), n = 1 + r.nextInt(6);
            float[] a = new float[from + v];
            for (int i = 0; i < a.length; i++) a[i] = r.nextInt(40) / 4f;   // many ties
            PromptRun.Guess[] top = PromptRun.top(a, from, v, n);
            Integer[] order = IntStream.range(0, v).boxed().toArray(Integer[]::new);
            Arrays.sort(order, Comparator.comparingDouble((Integer i) -> -a[from + i]));   // stable: lower index first on ties
            double z = 0;
            for (int i = 0; i < v; i++) z += Math.exp(a[from + i]);
            assertThat(top).hasSize(Math.min(n, v));
            for (int k = 0; k < top.length; k++) {
                assertThat(top[k].id()).isEqualTo(order[k]);
                assertThat(top[k].probability()).isCloseTo(Math.exp(a[from + order[k]]) / z, within(1e-12));
            }
        }
    }
}
