package dev.loupe.cli.size;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.loupe.cli.MainTest;
import dev.loupe.model.GptConfig;
import dev.loupe.model.MoeSettings;
import dev.loupe.model.io.ConfigJson;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code loupe size --model DIR} of a mixture-of-experts model: total and active parameters, FLOPs of the active ones. */
class SizeMoeTest {
    @Test
    void countsEveryExpertInTheTotalAndTopKInTheActiveParameters(@TempDir Path dir) throws Exception {
        MoeSettings moe = new MoeSettings(8, 2, 512, MoeSettings.Router.SOFTMAX_TOPK, 0.01f, 0.001f, null, null);
        GptConfig c = GptConfig.gpt2(50257, 256, 256, 4, 4).withMoe(moe);
        Files.writeString(dir.resolve("config.json"), ConfigJson.format(c));
        var r = MainTest.run("size", "--model", dir.toString(), "--json");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertThat(j.get("params_total").asLong()).isEqualTo(c.parameterCount());       // the tensors' count, exactly
        long expert = 2L * 256 * 512 + 512 + 256;                                      // c_fc, c_proj and biases
        assertThat(j.get("params").get("active_per_token").asLong()).isEqualTo(c.parameterCount() - 4L * (8 - 2) * expert);
        assertThat(j.get("architecture").get("experts").asInt()).isEqualTo(8);
        // forward FLOPs count the active weights: those of the dense model of width k·d_expert, plus the router
        GptConfig dense = GptConfig.gpt2(50257, 256, 256, 4, 4);
        Files.writeString(dir.resolve("config.json"), ConfigJson.format(dense));
        JsonNode d = new ObjectMapper().readTree(MainTest.run("size", "--model", dir.toString(), "--json").out());
        double routerFlops = 2.0 * 4 * 256 * 8, biasFlops = 2.0 * 4 * (2 * (512 + 256) - (1024 + 256));
        assertThat(j.get("flops_per_token").get("forward").asDouble())
                .isEqualTo(d.get("flops_per_token").get("forward").asDouble() + routerFlops + biasFlops);
    }

    @Test
    void aMixtureInSomeLayersOnlyIsRefusedRatherThanMiscounted(@TempDir Path dir) throws Exception {
        GptConfig c = GptConfig.gpt2(64, 32, 32, 2, 2).withMoe(new MoeSettings(4, 2, 32, MoeSettings.Router.SOFTMAX_TOPK, 0.01f,
                0.001f, null, List.of(1)));
        Files.writeString(dir.resolve("config.json"), ConfigJson.format(c));
        var r = MainTest.run("size", "--model", dir.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("layers [1] only").doesNotContain("Exception");
    }
}
