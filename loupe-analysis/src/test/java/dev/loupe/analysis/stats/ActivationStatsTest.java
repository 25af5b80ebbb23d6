package dev.loupe.analysis.stats;

import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Corpus statistics against a direct computation: every window run through the model, the hook's
 * values collected, then two-pass mean and variance, max, frequency, histogram and a full sort for
 * the top positions. Tolerance 1e-9 relative on the moments: float64 sums of a few hundred values.
 */
class ActivationStatsTest {
    static final GptConfig C = new GptConfig(11, 16, 8, 2, 2, 16, 1e-5f, true, GptConfig.Norm.PRE, GptConfig.Mlp.GELU,
            GptConfig.Positional.LEARNED);

    static int[] tokens(int n, long seed) {
        Random r = new Random(seed);
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = r.nextInt(C.vocabSize());
        return t;
    }

    @Test
    void matchesADirectComputationForNeuronsAndHeadNorms() {
        Gpt gpt = Gpt.create(C, 5);
        List<int[]> shards = List.of(tokens(53, 1), tokens(7, 2), tokens(40, 3));    // 5 + 0 + 4 windows of 10
        int seq = 10;
        for (String hook : List.of("blocks.1.mlp.hook_post", "blocks.0.attn.hook_z", "blocks.0.hook_resid_post")) {
            ActivationStats.Spec spec = new ActivationStats.Spec(hook, 3, 2, 1, new Binning(-1, 1, 8));
            ActivationStats s = ActivationStats.compute(gpt, shards, seq, spec);
            HookUnits hu = HookUnits.of(C, hook);
            // direct: values[position] per unit
            List<float[]> rows = new ArrayList<>();       // each [n] at one position
            List<Long> positions = new ArrayList<>();
            long offset = 0;
            for (int[] shard : shards) {
                for (int start = 0; start + seq <= shard.length; start += seq) {
                    int[] w = java.util.Arrays.copyOfRange(shard, start, start + seq);
                    Tensor a = gpt.runWithCache(w, 1, seq, hook::equals).cache().get(hook);
                    float[] flat = a.contiguousData();
                    for (int p = 0; p < seq; p++) {
                        float[] row = new float[hu.units()];
                        for (int u = 0; u < hu.units(); u++) {
                            if (!hu.norm()) row[u] = flat[p * hu.units() + u];
                            else {
                                double q = 0;
                                for (int k = 0; k < hu.width(); k++) q += Math.pow(flat[(p * hu.units() + u) * hu.width() + k], 2);
                                row[u] = (float) Math.sqrt(q);
                            }
                        }
                        rows.add(row);
                        positions.add(offset + start + p);
                    }
                }
                offset += shard.length;
            }
            assertThat(s.windows()).isEqualTo(9);
            assertThat(s.units()).isEqualTo(hu.units());
            for (int u = 0; u < hu.units(); u++) {
                UnitStats us = s.unit(u);
                double mean = 0, var = 0;
                float max = Float.NEGATIVE_INFINITY;
                long pos = 0;
                long[] hist = new long[10];
                for (float[] row : rows) {
                    mean += row[u];
                    max = Math.max(max, row[u]);
                    if (row[u] > 0) pos++;
                    hist[spec.binning().index(row[u])]++;
                }
                mean /= rows.size();
                for (float[] row : rows) var += (row[u] - mean) * (row[u] - mean);
                var /= rows.size();
                assertThat(us.count()).isEqualTo(90);
                assertThat(us.mean()).as(hook + " unit " + u).isCloseTo(mean, within(1e-9 * (1 + Math.abs(mean))));
                assertThat(us.variance()).isCloseTo(var, within(1e-9 * (1 + var)));
                assertThat(us.max()).isEqualTo(max);
                assertThat(us.frequency()).isEqualTo((double) pos / rows.size());
                assertThat(us.histogram()).containsExactly(hist);
                final int unit = u;
                List<Integer> order = new ArrayList<>();
                for (int i = 0; i < rows.size(); i++) order.add(i);
                order.sort((a, b) -> {
                    int c = Float.compare(rows.get(b)[unit], rows.get(a)[unit]);
                    return c != 0 ? c : Integer.compare(a, b);
                });
                assertThat(us.top()).hasSize(3);
                for (int i = 0; i < 3; i++) {
                    TopExample e = us.top().get(i);
                    assertThat(e.position()).isEqualTo(positions.get(order.get(i)));
                    assertThat(e.value()).isEqualTo(rows.get(order.get(i))[u]);
                    int at = (int) (e.position() - e.contextStart());
                    assertThat(e.values()[at]).isEqualTo(e.value());
                    assertThat(e.tokens()).hasSameSizeAs(e.values());
                    assertThat(e.tokens().length).isBetween(2, 4);
                }
            }
        }
    }

    @Test
    void patternsHaveNoUnits() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> HookUnits.of(C, "blocks.0.attn.hook_pattern"))
                .hasMessageContaining("hook_z");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> HookUnits.of(C, "blocks.9.mlp.hook_post"))
                .hasMessageContaining("does not exist");
    }

    @Test
    void windowsSkipShardsTooShortAndDropTails() {
        CorpusWindows w = new CorpusWindows(new long[] {25, 9, 10}, 10);
        assertThat(w.count()).isEqualTo(3);
        assertThat(w.shardOf(2)).isEqualTo(2);
        assertThat(w.position(2)).isEqualTo(34);
        assertThat(w.position(1)).isEqualTo(10);
        assertThat(w.startInShard(2)).isEqualTo(0);
    }
}
