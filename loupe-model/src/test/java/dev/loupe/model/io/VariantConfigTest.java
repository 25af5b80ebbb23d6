package dev.loupe.model.io;

import dev.loupe.LoupeException;
import dev.loupe.model.GptConfig;
import dev.loupe.model.HighwaySettings;
import dev.loupe.model.MoeSettings;
import org.junit.jupiter.api.Test;

import java.util.EnumSet;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** config.json of mixture-of-experts and highway models (SPEC §"Variants"): keys, tensors, counts, errors. */
class VariantConfigTest {
    static final GptConfig BASE = GptConfig.gpt2(11, 7, 8, 3, 2);
    static final MoeSettings MOE = new MoeSettings(4, 2, 6, MoeSettings.Router.TOPK_SOFTMAX, 0.02f, 0.0f, 1.25f, List.of(0, 2));
    static final HighwaySettings HIGHWAY = new HighwaySettings(EnumSet.of(HighwaySettings.Sublayer.MLP),
            HighwaySettings.Gate.SCALAR, HighwaySettings.Mode.GATED_RESIDUAL, -1.5f);

    @Test
    void moeAndHighwayRoundTripThroughConfigJsonAsLoupeGpt() {
        for (GptConfig c : List.of(BASE.withMoe(MOE), BASE.withHighway(HIGHWAY), BASE.withMoe(MoeSettings.of(3, 1, 5))
                .withHighway(HighwaySettings.defaults()))) {
            String json = ConfigJson.format(c);
            assertThat(json).contains("\"architectures\" : [ \"LoupeGPT\" ]").doesNotContain("model_type");
            assertThat(ConfigJson.parse(json, "config.json")).isEqualTo(c);
        }
        assertThat(ConfigJson.format(BASE.withMoe(MOE))).contains("\"router\" : \"topk_softmax\"", "\"capacity_factor\" : 1.25");
        assertThat(ConfigJson.format(BASE.withHighway(HIGHWAY))).contains("\"mode\" : \"gated_residual\"", "\"gate\" : \"scalar\"");
    }

    @Test
    void absentKeysTakeTheSpecDefaults() {
        GptConfig c = ConfigJson.parse("""
                {"vocab_size": 11, "n_positions": 7, "n_embd": 8, "n_layer": 2, "n_head": 2, "n_inner": 12,
                 "loupe": {"moe": {"experts": 8}, "highway": {}}}""", "config.json");
        assertThat(c.moe()).isEqualTo(new MoeSettings(8, 2, 12, MoeSettings.Router.SOFTMAX_TOPK, 0.01f, 0.001f, null, null));
        assertThat(c.highway()).isEqualTo(HighwaySettings.defaults());
    }

    @Test
    void tensorsFollowTheSpecNamesAndTheCountsAgreeWithThem() {
        GptConfig c = BASE.withMoe(MOE).withHighway(new HighwaySettings(EnumSet.allOf(HighwaySettings.Sublayer.class),
                HighwaySettings.Gate.VECTOR, HighwaySettings.Mode.HIGHWAY, -2f));
        Map<String, int[]> shapes = c.expectedShapes();
        assertThat(shapes.get("h.0.mlp.gate.weight")).containsExactly(8, 4);
        assertThat(shapes.get("h.0.mlp.experts.3.c_fc.weight")).containsExactly(8, 6);
        assertThat(shapes.get("h.2.mlp.experts.0.c_proj.weight")).containsExactly(6, 8);
        assertThat(shapes).doesNotContainKey("h.0.mlp.c_fc.weight").containsKey("h.1.mlp.c_fc.weight")
                .doesNotContainKey("h.1.mlp.gate.weight");
        assertThat(shapes.get("h.1.attn_gate.weight")).containsExactly(8, 8);
        assertThat(shapes.get("h.1.mlp_gate.bias")).containsExactly(8);
        assertThat(BASE.withHighway(HIGHWAY).expectedShapes().get("h.0.mlp_gate.weight")).containsExactly(8, 1);
        assertThat(BASE.withHighway(HIGHWAY).expectedShapes()).doesNotContainKey("h.0.attn_gate.weight");
        GptConfig swiglu = new GptConfig(11, 7, 8, 2, 2, 12, 1e-5f, true, GptConfig.Norm.PRE, GptConfig.Mlp.SWIGLU,
                GptConfig.Positional.LEARNED).withMoe(MoeSettings.of(2, 1, 5));
        assertThat(swiglu.expectedShapes().get("h.0.mlp.experts.1.c_fc.weight")).containsExactly(8, 10);
        for (GptConfig k : List.of(c, swiglu, BASE.withHighway(HIGHWAY), BASE.withMoe(MOE))) {
            long params = k.expectedShapes().values().stream().mapToLong(s -> {
                long n = 1;
                for (int d : s) n *= d;
                return n;
            }).sum();
            assertThat(k.parameterCount()).isEqualTo(params);
            assertThat(k.tensorCount()).isEqualTo(k.expectedShapes().size());
        }
    }

    @Test
    void badSettingsAreRefusedWithTheKeyNamed() {
        assertThatThrownBy(() -> MoeSettings.of(4, 5, 8)).isInstanceOf(LoupeException.class).hasMessageContaining("top_k");
        assertThatThrownBy(() -> BASE.withMoe(new MoeSettings(4, 1, 8, null, 0, 0, null, List.of(3))))
                .hasMessageContaining("moe.layers names layer 3");
        assertThatThrownBy(() -> BASE.withNorm(GptConfig.Norm.POST).withHighway(HighwaySettings.defaults()))
                .hasMessageContaining("pre-LN");
        assertThatThrownBy(() -> ConfigJson.parse("{\"loupe\": {\"moe\": {\"experts\": 4, \"topk\": 2}}}", "c.json"))
                .isInstanceOf(LoupeException.class).hasMessageContaining("c.json: loupe.moe: unknown key topk");
        assertThatThrownBy(() -> ConfigJson.parse("{\"loupe\": {\"moe\": {\"top_k\": 2}}}", "c.json"))
                .hasMessageContaining("experts").hasMessageContaining("required");
        assertThatThrownBy(() -> ConfigJson.parse("{\"loupe\": {\"highway\": {\"gate\": \"matrix\"}}}", "c.json"))
                .hasMessageContaining("c.json: loupe.highway.gate \"matrix\" is not one of vector|scalar");
        assertThatThrownBy(() -> ConfigJson.parse("{\"loupe\": {\"highway\": {\"sublayers\": [\"ffn\"]}}}", "c.json"))
                .hasMessageContaining("sublayers");
        assertThatThrownBy(() -> ConfigJson.parse("{\"loupe\": {\"norm\": \"middle\"}}", "c.json"))
                .hasMessageContaining("c.json: loupe.norm \"middle\" is not one of pre|post|none");
    }

    @Test
    void aHugeMoeIsCountedWithoutOverflowOrLooping() {
        GptConfig c = GptConfig.gpt2(50257, 1024, 768, 1_000_000_000, 12).withMoe(MoeSettings.of(64, 2, 3072));
        assertThat(c.parameterCount()).isGreaterThan(1_000_000_000_000_000L);
    }
}
