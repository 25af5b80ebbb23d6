package dev.loupe.model.io;

import dev.loupe.LoupeException;
import dev.loupe.model.AttentionKind;
import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** config.json and model directories of linear and least-squares attention models (SPEC §"Variants"). */
class AttentionKindConfigTest {
    @TempDir
    Path dir;

    static final GptConfig BASE = GptConfig.gpt2(11, 7, 8, 2, 2);

    static List<AttentionKind> kinds() {
        return List.of(AttentionKind.linear(AttentionKind.FeatureMap.ELU1, true),
                AttentionKind.linear(AttentionKind.FeatureMap.IDENTITY, false),
                AttentionKind.leastSquares(0.25f, false), AttentionKind.leastSquares(2f, true));
    }

    @Test
    void everyKindRoundTripsThroughAModelDirectoryAsLoupeGpt() throws IOException {
        int i = 0;
        for (AttentionKind kind : kinds()) {
            GptConfig c = BASE.withAttention(kind);
            Gpt m = Gpt.create(c, 5);
            Path d = dir.resolve("m" + i++);
            ModelDirectory.write(d, c, m.parameters());
            String json = Files.readString(d.resolve("config.json"));
            assertThat(json).contains("\"architectures\" : [ \"LoupeGPT\" ]").doesNotContain("GPT2LMHeadModel")
                    .doesNotContain("model_type").contains("\"attention\" : \"" + kind.kindName() + "\"");
            ModelDirectory.LoadedModel back = ModelDirectory.read(d);
            assertThat(back.config()).isEqualTo(c);
            assertThat(back.weights().keySet()).containsExactlyElementsOf(c.expectedShapes().keySet());
            Gpt again = Gpt.fromWeights(back.config(), back.weights());
            int[] ids = {1, 2, 3, 4};
            assertThat(again.logits(ids, 1, 4).toArray()).containsExactly(m.logits(ids, 1, 4).toArray());
        }
    }

    @Test
    void learnedAlphaIsATensorInitialisedToLogAlpha() {
        GptConfig c = BASE.withAttention(AttentionKind.leastSquares(2f, true));
        assertThat(c.expectedShapes()).containsKey("h.1.attn.ls_log_alpha");
        assertThat(c.expectedShapes().get("h.1.attn.ls_log_alpha")).containsExactly(2);
        Tensor logAlpha = Gpt.create(c, 1).parameters().get("h.0.attn.ls_log_alpha");
        assertThat(logAlpha.toArray()).containsOnly((float) Math.log(2));
        assertThat(BASE.withAttention(AttentionKind.leastSquares(2f, false)).expectedShapes()).doesNotContainKey("h.0.attn.ls_log_alpha");
    }

    @Test
    void softmaxConfigsAreWrittenExactlyAsBefore() {
        assertThat(ConfigJson.format(BASE)).doesNotContain("attention").contains("GPT2LMHeadModel");
        assertThat(ConfigJson.parse(ConfigJson.format(BASE), "c").attention()).isEqualTo(AttentionKind.SOFTMAX);
        assertThat(new GptConfig(11, 7, 8, 2, 2, 32, 1e-5f, true, GptConfig.Norm.PRE, GptConfig.Mlp.GELU,
                GptConfig.Positional.LEARNED)).isEqualTo(BASE);
    }

    @Test
    void llmcCheckpointsRefuseOtherKinds() {
        GptConfig c = BASE.withAttention(AttentionKind.linear(AttentionKind.FeatureMap.ELU1, true));
        assertThatThrownBy(() -> LlmcCheckpoint.write(dir.resolve("m.bin"), c, Gpt.create(c, 1).parameters()))
                .isInstanceOf(LoupeException.class).hasMessageContaining("linear (φ = elu1, normalised) attention");
        assertThat(dir.resolve("m.bin")).doesNotExist();
    }

    @Test
    void badAttentionSettingsAreNamed() {
        assertThatThrownBy(() -> ConfigJson.parse("{\"loupe\": {\"attention\": \"sparse\"}}", "config.json"))
                .isInstanceOf(LoupeException.class).hasMessageContaining("loupe.attention \"sparse\" is not one of softmax|linear|least_squares");
        assertThatThrownBy(() -> ConfigJson.parse("{\"loupe\": {\"attention\": \"linear\", \"feature_map\": \"relu\"}}", "config.json"))
                .isInstanceOf(LoupeException.class).hasMessageContaining("loupe.feature_map \"relu\"");
        assertThatThrownBy(() -> ConfigJson.parse("{\"loupe\": {\"attention\": \"least_squares\", \"ls_alpha\": 0}}", "config.json"))
                .isInstanceOf(LoupeException.class).hasMessageContaining("ls_alpha must be a positive number");
        assertThatThrownBy(() -> ConfigJson.parse("{\"loupe\": {\"normalize\": \"yes\"}}", "config.json"))
                .isInstanceOf(LoupeException.class).hasMessageContaining("normalize must be true or false");
    }
}
