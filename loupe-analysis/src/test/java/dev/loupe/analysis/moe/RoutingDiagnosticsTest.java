package dev.loupe.analysis.moe;

import dev.loupe.LoupeException;
import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.model.MoeSettings;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** The diagnostics read from a real MoE model's hooks agree with the routing the model itself recorded. */
class RoutingDiagnosticsTest {
    static final GptConfig DENSE = new GptConfig(11, 16, 8, 3, 2, 16, 1e-5f, true, GptConfig.Norm.PRE, GptConfig.Mlp.GELU,
            GptConfig.Positional.LEARNED);
    static final GptConfig MOE = DENSE.withMoe(new MoeSettings(4, 2, 6, MoeSettings.Router.SOFTMAX_TOPK, 0.01f, 0.001f, null, List.of(0, 2)));

    static int[] tokens(int n) {
        Random r = new Random(3);
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = r.nextInt(DENSE.vocabSize());
        return t;
    }

    @Test
    void routingFromTheHooksIsTheRoutingTheModelRecorded() {
        Gpt gpt = Gpt.create(MOE, 5);
        int[] ids = tokens(12);
        RoutingDiagnostics d = RoutingDiagnostics.over(gpt, ids, 12, RoutingDiagnostics.Settings.defaults(), RoutingDiagnostics.Steps.NONE);
        assertThat(d.layers()).extracting(LayerDiagnostics::layer).containsExactly(0, 2);
        assertThat(d.coActivations()).hasSize(1);
        for (int i = 0; i < 2; i++) {
            int l = d.layers().get(i).layer();
            var recorded = gpt.mixture(l).lastRouting();
            double[][] r = d.promptRouting().get(i).matrix();
            for (int t = 0; t < ids.length; t++) {
                for (int e = 0; e < 4; e++) assertThat(r[t][e]).isCloseTo(recorded.matrix().get(t, e), within(1e-7));
            }
            long[] counts = d.layers().get(i).counts();
            int[] load = gpt.mixture(l).load();
            for (int e = 0; e < 4; e++) assertThat(counts[e]).isEqualTo(load[e]);
        }
    }

    @Test
    void aCorpusInWindowsAddsUpAndReportsProgressPerWindow() {
        Gpt gpt = Gpt.create(MOE, 5);
        int[] ids = tokens(37);
        List<long[]> steps = new ArrayList<>();
        RoutingDiagnostics d = RoutingDiagnostics.over(gpt, ids, 16, RoutingDiagnostics.Settings.defaults(),
                (done, total) -> steps.add(new long[] {done, total}));
        assertThat(steps).extracting(s -> s[0] + "/" + s[1]).containsExactly("1/3", "2/3", "3/3");
        LayerDiagnostics l0 = d.layers().getFirst();
        assertThat(l0.tokens()).isEqualTo(37);
        assertThat(java.util.Arrays.stream(l0.counts()).sum()).isEqualTo(37 * 2);
        double all = 0;                               // Σ_ab (RᵀR)_ab = Σ_t (Σ_e R_te)² = T: every row of R sums to 1
        for (double[] row : l0.gram()) for (double v : row) all += v;
        assertThat(all).isCloseTo(37, within(1e-4));
        assertThat(d.promptIds()).hasSize(16);
        long pairs = 0;
        for (long[] row : d.coActivations().getFirst().joint()) for (long v : row) pairs += v;
        assertThat(pairs).isEqualTo(37 * 2 * 2);
    }

    @Test
    void aDenseModelIsAClearError() {
        assertThatThrownBy(() -> RoutingDiagnostics.over(Gpt.create(DENSE, 1), tokens(4), 4, RoutingDiagnostics.Settings.defaults(),
                RoutingDiagnostics.Steps.NONE)).isInstanceOf(LoupeException.class).hasMessageContaining("no mixture-of-experts layer");
    }
}
