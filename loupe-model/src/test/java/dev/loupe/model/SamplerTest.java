package dev.loupe.model;

import dev.loupe.LoupeException;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SamplerTest {
    static final float[] LOGITS = {1.0f, 3.0f, 2.5f, -1f, 2.9f, 0f};

    @Test
    void greedyTakesTheArgmaxAndTheSmallestIdOnTies() {
        assertThat(Sampler.greedy().sample(LOGITS)).isEqualTo(1);
        assertThat(Sampler.greedy().sample(new float[] {0f, 5f, 5f})).isEqualTo(1);
        assertThat(new Sampler(0f, 3, 0.5f, 9).sample(LOGITS)).isEqualTo(1);
    }

    @Test
    void sameSeedSameTokens() {
        int[] a = draw(new Sampler(1.3f, 4, 0.95f, 42), 200);
        int[] b = draw(new Sampler(1.3f, 4, 0.95f, 42), 200);
        int[] c = draw(new Sampler(1.3f, 4, 0.95f, 43), 200);
        assertThat(a).isEqualTo(b);
        assertThat(a).isNotEqualTo(c);
    }

    @Test
    void topKKeepsOnlyTheKLargest() {
        int[] s = draw(new Sampler(5f, 2, 1f, 1), 2000);  // hot: without the cut every token would appear
        assertThat(Arrays.stream(s).distinct().sorted().toArray()).containsExactly(1, 4);
        assertThat(draw(new Sampler(5f, 1, 1f, 1), 50)).containsOnly(1);
    }

    @Test
    void topPKeepsTheSmallestNucleus() {
        // softmax(LOGITS): p1 ≈ 0.368, p4 ≈ 0.333, p2 ≈ 0.224, p0 ≈ 0.050, p5 ≈ 0.018, p3 ≈ 0.007.
        // top-p 0.5: {1, 4} (0.368 < 0.5 ≤ 0.701); top-p 0.75: {1, 4, 2} (0.701 < 0.75 ≤ 0.925); tiny top-p: {1}.
        assertThat(Arrays.stream(draw(new Sampler(1f, 0, 0.5f, 3), 2000)).distinct().sorted().toArray()).containsExactly(1, 4);
        assertThat(Arrays.stream(draw(new Sampler(1f, 0, 0.75f, 3), 2000)).distinct().sorted().toArray()).containsExactly(1, 2, 4);
        assertThat(draw(new Sampler(1f, 0, 1e-6f, 3), 50)).containsOnly(1);
    }

    @Test
    void temperatureOneDrawsFromTheSoftmax() {
        int n = 40000;
        int[] counts = new int[LOGITS.length];
        for (int t : draw(new Sampler(1f, 0, 1f, 7), n)) counts[t]++;
        double max = 3.0, sum = 0;
        for (float z : LOGITS) sum += Math.exp(z - max);
        for (int i = 0; i < LOGITS.length; i++) {
            double p = Math.exp(LOGITS[i] - max) / sum;
            double sd = Math.sqrt(p * (1 - p) / n);
            assertThat((double) counts[i] / n).as("frequency of token %d", i).isCloseTo(p, org.assertj.core.data.Offset.offset(5 * sd + 1e-4));
        }
    }

    @Test
    void temperatureIsAppliedBeforeTopP() {
        // At temperature 0.1 token 1 holds ~73% of the mass (3.0 vs 2.9 → e^1 ratio), so top-p 0.7 keeps only it.
        assertThat(draw(new Sampler(0.1f, 0, 0.7f, 5), 100)).containsOnly(1);
    }

    @Test
    void badSettingsAreClearErrors() {
        assertThatThrownBy(() -> new Sampler(-1f, 0, 1f, 0)).isInstanceOf(LoupeException.class).hasMessageContaining("temperature");
        assertThatThrownBy(() -> new Sampler(1f, -2, 1f, 0)).isInstanceOf(LoupeException.class).hasMessageContaining("top-k");
        assertThatThrownBy(() -> new Sampler(1f, 0, 0f, 0)).isInstanceOf(LoupeException.class).hasMessageContaining("top-p");
    }

    private static int[] draw(Sampler s, int n) {
        int[] out = new int[n];
        for (int i = 0; i < n; i++) out[i] = s.sample(LOGITS);
        return out;
    }
}
