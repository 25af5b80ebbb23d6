package dev.loupe.cli.size;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.loupe.cli.MainTest;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Issue 20, item 5: the attention FLOPs shown under Kaplan et al.'s name are Kaplan's 2·L·n_ctx·d;
 * the full-context 4·L·n_ctx·d is shown as the bound it is. GPT-3 175B forward: 354.0 and 358.8 GFLOP.
 */
class SizeFlopsTest {

    @Test
    void gpt3ForwardIsKaplans354AndTheBound358() throws Exception {
        var r = MainTest.run("size", "--preset", "gpt3-175b", "--json");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode f = new ObjectMapper().readTree(r.out()).get("flops_per_token");
        double l = 96, n = 2048, d = 12288;
        assertThat(f.get("attention_forward").asDouble()).isEqualTo(2 * l * n * d);
        assertThat(f.get("attention_forward_full_context").asDouble()).isEqualTo(4 * l * n * d);
        assertThat(f.get("forward").asDouble() / 1e9).isCloseTo(354.0, within(0.05));
        assertThat(f.get("forward_full_context").asDouble() / 1e9).isCloseTo(358.8, within(0.05));
        assertThat(f.get("training").asDouble()).isEqualTo(3 * f.get("forward").asDouble());
    }

    @Test
    void theTextNamesEachFigure() {
        var r = MainTest.run("size", "--preset", "gpt3-175b");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).containsPattern("forward, Kaplan et al. 2020 +354 GFLOP .*2·L·n_ctx·d")
                .containsPattern("forward, full-context bound +359 GFLOP .*4·L·n_ctx·d");
    }
}
