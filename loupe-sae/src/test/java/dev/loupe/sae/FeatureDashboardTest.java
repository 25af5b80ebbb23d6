package dev.loupe.sae;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class FeatureDashboardTest {
    static final GptConfig CONFIG = new GptConfig(20, 16, 16, 1, 2, 32, 1e-5f, false, GptConfig.Norm.PRE,
            GptConfig.Mlp.RELU, GptConfig.Positional.LEARNED);

    static Gpt model() {
        Gpt gpt = Gpt.create(CONFIG, 3);
        // a non-trivial final LayerNorm, so γ matters in the logit effects
        Tensor g = gpt.lnFinal.weight;
        for (int j = 0; j < g.size(); j++) g.set(0.5f + 0.1f * j, j);
        return gpt;
    }

    static int[] tokens(int n) {
        SplittableRandom r = new SplittableRandom(5);
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = r.nextInt(20);
        return t;
    }

    @Test
    void neuronPagesMatchTheActivationsTheyDescribe() {
        Gpt gpt = model();
        TokenWindows w = new TokenWindows(tokens(16 * 12 + 5), 16, 5);
        DashboardUnits neurons = DashboardUnits.neurons(gpt, 0);
        var s = new FeatureDashboard.Settings(3, 2, 2, 4, 2, 3, 8, 1);
        JsonNode d = FeatureDashboard.build("test", gpt, neurons, w, null, s, id -> "t" + id, x -> { }).json();

        // the activations, independently: all windows at once
        int n = w.usedTokens();
        Tensor post = gpt.runWithCache(java.util.Arrays.copyOf(w.tokens(), n), n / 16, 16,
                x -> x.equals("blocks.0.mlp.hook_post")).cache().get("blocks.0.mlp.hook_post").reshape(n, 32);
        assertThat(d.path("tokens").asInt()).isEqualTo(192);
        assertThat(d.path("features")).hasSize(32);
        for (int u = 0; u < 32; u++) {
            JsonNode f = d.path("features").get(u);
            int active = 0;
            float max = 0;
            for (int t = 0; t < n; t++) if (post.get(t, u) > 0) { active++; max = Math.max(max, post.get(t, u)); }
            assertThat(f.path("density").asDouble()).isCloseTo(active / 192.0, within(1e-12));
            long histogram = 0;
            for (JsonNode c : f.path("histogram").path("counts")) histogram += c.asLong();
            assertThat(histogram).isEqualTo(active);
            if (active == 0) continue;
            // another batching of the same windows: equal to float32 rounding of the matmuls
            assertThat(f.path("max_activation").floatValue()).isCloseTo(max, within(1e-5f * max));
            JsonNode top = f.path("groups").get(0).path("examples");
            assertThat(top.get(0).path("activation").floatValue()).isEqualTo(f.path("max_activation").floatValue());
            for (JsonNode g : f.path("groups")) {
                for (JsonNode e : g.path("examples")) {
                    int p = e.path("position").asInt(), focus = e.path("focus").asInt();
                    assertThat(e.path("tokens").get(focus).asText()).isEqualTo("t" + w.tokens()[p]);
                    assertThat(e.path("activations").get(focus).asDouble()).isCloseTo(post.get(p, u), within(1e-3 * max));
                    int start = p - focus;                                 // every shown token is in the example's window
                    assertThat(start / 16).isEqualTo((p / 16));
                    assertThat(e.path("tokens").size() + start - 1).isLessThan((p / 16 + 1) * 16);
                    if (g.has("from")) {
                        assertThat(e.path("activation").asDouble()).isGreaterThan(g.path("from").asDouble())
                                .isLessThanOrEqualTo(g.path("to").asDouble() + 1e-6);
                    }
                }
            }
        }
    }

    @Test
    void logitEffectsReadTheNeuronsWriteThroughTheFinalLayerNormAsTransformerLensDoes() {
        Gpt gpt = model();
        TokenWindows w = new TokenWindows(tokens(64), 16, 4);
        JsonNode d = FeatureDashboard.build("test", gpt, DashboardUnits.neurons(gpt, 0), w, java.util.Set.of(7),
                new FeatureDashboard.Settings(2, 0, 0, 2, 1, 20, 4, 1), id -> "t" + id, x -> { }).json();
        // the mean ln_final scale, independently
        Tensor scale = gpt.runWithCache(w.tokens(), 4, 16, x -> x.equals("ln_final.hook_scale")).cache().get("ln_final.hook_scale");
        double mean = 0;
        for (float v : scale.toArray()) mean += v;
        mean /= scale.size();
        assertThat(d.path("ln_final_scale").asDouble()).isCloseTo(mean, within(1e-5));
        // effect on token v = Σ_j (W_out[7, j] − mean_j W_out[7, :]) γ_j W_U[v, j] / s, in double
        Tensor wOut = gpt.blocks[0].mlp.proj.weight, wU = gpt.unembedding.weight, gamma = gpt.lnFinal.weight;
        double mu = 0;
        for (int j = 0; j < 16; j++) mu += wOut.get(7, j);
        mu /= 16;
        JsonNode f = d.path("features").get(7);
        assertThat(f.path("logits_positive")).hasSize(20);
        double previous = Double.POSITIVE_INFINITY;
        for (JsonNode l : f.path("logits_positive")) {
            int v = l.path("id").asInt();
            double e = 0;
            for (int j = 0; j < 16; j++) e += (wOut.get(7, j) - mu) * gamma.get(j) * wU.get(v, j);
            e /= mean;
            assertThat(l.path("effect").asDouble()).isCloseTo(e, within(1e-5));
            assertThat(l.path("effect").asDouble()).isLessThanOrEqualTo(previous);
            previous = l.path("effect").asDouble();
        }
        assertThat(d.path("features").get(6).has("groups")).as("only the chosen unit gets a page").isFalse();
    }

    @Test
    void thePageEmbedsTheDataSafely() {
        Gpt gpt = model();
        TokenWindows w = new TokenWindows(tokens(32), 16, 2);
        AtomicReference<String> html = new AtomicReference<>();
        var dash = FeatureDashboard.build("<b>SAE</b> & co", gpt, DashboardUnits.neurons(gpt, 0), w, null,
                FeatureDashboard.Settings.defaults(), id -> id == 3 ? "</script>" : "t" + id, x -> { });
        html.set(FeatureDashboardHtml.page(dash));
        assertThat(html.get()).contains("<title>&lt;b&gt;SAE&lt;/b&gt; &amp; co</title>")
                .doesNotContain("</script>\"").contains("\\u003c/script\\u003e");
        assertThat(html.get().split("</script>", -1)).hasSize(3);   // only the two script elements close
    }
}
