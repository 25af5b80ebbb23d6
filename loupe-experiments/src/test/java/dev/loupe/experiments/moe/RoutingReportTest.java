package dev.loupe.experiments.moe;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loupe.analysis.moe.LayerRouting;
import dev.loupe.analysis.moe.RoutingDiagnostics;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The JSON and HTML of routing diagnostics over two top-1 layers whose figures are known by hand. */
class RoutingReportTest {
    /** Layer 0 sends tokens a, b to E0 and c, d to E1; layer 1 sends them the other way round: a pipeline (1 bit). */
    static RoutingDiagnostics twoLayers() {
        float[] logits = new float[4 * 2];
        float[] ones = {1, 1, 1, 1};
        LayerRouting l0 = new LayerRouting(0, 2, logits, new int[] {0, 0, 1, 1}, ones);
        LayerRouting l1 = new LayerRouting(1, 2, logits, new int[] {1, 1, 0, 0}, ones);
        return new RoutingDiagnostics.Builder(List.of(0, 1), 2, RoutingDiagnostics.Settings.defaults())
                .add(new int[] {0, 1, 2, 3}, 0, List.of(l0, l1)).build();
    }

    private static String text(int id) {
        return id == 3 ? "<d>" : String.valueOf((char) ('a' + id));
    }

    @Test
    void jsonHoldsEveryFigurePerLayerAndTheCoActivation() {
        JsonNode j = RoutingJson.of(twoLayers(), RoutingReportTest::text);
        assertThat(j.get("prompt_tokens").toString()).isEqualTo("[\"a\",\"b\",\"c\",\"<d>\"]");
        JsonNode l0 = j.get("layers").get(0);
        assertThat(l0.get("counts").toString()).isEqualTo("[2,2]");
        assertThat(l0.get("load_cv").asDouble()).isZero();
        assertThat(l0.get("gram").toString()).isEqualTo("[[2.0,0.0],[0.0,2.0]]");
        assertThat(l0.get("entropy_nats").asDouble()).isCloseTo(Math.log(2), within(1e-9));
        assertThat(l0.get("prompt_routing").get(2).toString()).isEqualTo("[0.0,1.0]");
        assertThat(l0.get("top_tokens").get(1).get(0).get("token").asText()).isEqualTo("c");
        assertThat(l0.get("top_tokens").get(1).get(1).get("context").asText()).isEqualTo("abc<d>");
        JsonNode co = j.get("co_activation").get(0);
        assertThat(co.get("joint").toString()).isEqualTo("[[0,2],[2,0]]");
        assertThat(co.get("mutual_information_bits").asDouble()).isCloseTo(1, within(1e-12));
    }

    @Test
    void htmlIsOneSelfContainedPageWithTheHeatmapsLoadBarsAndEscapedTokens() {
        String html = RoutingHtml.page("routing of m", "4 tokens", twoLayers(), RoutingReportTest::text);
        assertThat(html).startsWith("<!DOCTYPE html>").endsWith("</html>\n");
        assertThat(html).contains("<h2>Layer 0</h2>", "<h2>Layer 1</h2>", "R over the prompt", "RᵀR (layer 1)", "cosine",
                "L0 → L1: I = 1.000 bits", "class=\"bar\"", "&lt;d&gt;");
        assertThat(html).doesNotContain("<d>", "<script", "https://");
        assertThat(html.split("<svg", -1)).hasSize(1 + 2 * 3 + 1);   // per layer R, RᵀR, cosine; one co-activation map
    }
}
