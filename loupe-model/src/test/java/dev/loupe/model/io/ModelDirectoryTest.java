package dev.loupe.model.io;

import dev.loupe.LoupeException;
import dev.loupe.model.GptConfig;
import dev.loupe.model.GptConfig.Mlp;
import dev.loupe.model.GptConfig.Norm;
import dev.loupe.model.GptConfig.Positional;
import dev.loupe.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ModelDirectoryTest {
    @TempDir
    Path dir;

    /** Random weights with the configuration's names and shapes. */
    static Map<String, Tensor> randomWeights(GptConfig c, long seed) {
        Map<String, Tensor> w = new LinkedHashMap<>();
        for (var e : c.expectedShapes().entrySet()) w.put(e.getKey(), Tensor.randn(seed++, 0.5f, e.getValue()));
        return w;
    }

    static List<GptConfig> variants() {
        List<GptConfig> out = new ArrayList<>();
        for (Norm n : Norm.values())
            for (Mlp m : Mlp.values())
                for (Positional p : Positional.values())
                    for (boolean tied : new boolean[] {true, false})
                        out.add(new GptConfig(11, 7, 8, 2, 2, m == Mlp.SWIGLU ? 12 : 32, 1e-5f, tied, n, m, p));
        out.add(new GptConfig(5, 4, 6, 0, 3, 24, 1e-6f, true, Norm.PRE, Mlp.GELU, Positional.LEARNED));
        return out;
    }

    @ParameterizedTest
    @MethodSource("variants")
    void roundTripIsExactForEveryVariant(GptConfig c) {
        Map<String, Tensor> w = randomWeights(c, 42);
        Path d = dir.resolve("m");
        ModelDirectory.write(d, c, w);
        ModelDirectory.LoadedModel m = ModelDirectory.read(d);
        assertThat(m.config()).isEqualTo(c);
        assertThat(m.dir()).isEqualTo(d);
        assertThat(m.weights().keySet()).containsExactlyElementsOf(c.expectedShapes().keySet());
        for (String k : w.keySet()) {
            assertThat(m.weights().get(k).shape()).isEqualTo(w.get(k).shape());
            assertThat(m.weights().get(k).toArray()).as(k).containsExactly(w.get(k).toArray());
        }
        assertThat(ModelDirectory.readConfig(d)).isEqualTo(c);
    }

    @Test
    void writesGpt2MarkersOnlyForGpt2CompatibleModels() throws IOException {
        GptConfig gpt2 = GptConfig.gpt2(11, 7, 8, 1, 2);
        ModelDirectory.write(dir.resolve("a"), gpt2, randomWeights(gpt2, 1));
        String a = Files.readString(dir.resolve("a/config.json"));
        assertThat(a).contains("\"GPT2LMHeadModel\"").contains("\"model_type\" : \"gpt2\"")
                .contains("\"activation_function\" : \"gelu_new\"").contains("\"layer_norm_epsilon\" : 1.0E-5")
                .contains("\"n_inner\" : 32");
        GptConfig post = new GptConfig(11, 7, 8, 1, 2, 32, 1e-5f, true, Norm.POST, Mlp.GELU, Positional.LEARNED);
        ModelDirectory.write(dir.resolve("b"), post, randomWeights(post, 1));
        assertThat(Files.readString(dir.resolve("b/config.json"))).doesNotContain("GPT2LMHeadModel")
                .doesNotContain("model_type").contains("\"norm\" : \"post\"");
    }

    @Test
    void readsHuggingFaceGpt2Config() throws IOException {
        Path d = Files.createDirectories(dir.resolve("hf"));
        Files.writeString(d.resolve("config.json"), """
                {"activation_function": "gelu_new", "architectures": ["GPT2LMHeadModel"], "attn_pdrop": 0.1,
                 "bos_token_id": 50256, "embd_pdrop": 0.1, "eos_token_id": 50256, "initializer_range": 0.02,
                 "layer_norm_epsilon": 1e-05, "model_type": "gpt2", "n_ctx": 1024, "n_embd": 768, "n_head": 12,
                 "n_layer": 12, "n_positions": 1024, "resid_pdrop": 0.1, "summary_activation": null,
                 "summary_first_dropout": 0.1, "summary_proj_to_labels": true, "summary_type": "cls_index",
                 "summary_use_proj": true, "task_specific_params": {"text-generation": {"do_sample": true,
                 "max_length": 50}}, "vocab_size": 50257}
                """);
        assertThat(ModelDirectory.readConfig(d)).isEqualTo(GptConfig.gpt2(50257, 1024, 768, 12, 12));
        Files.writeString(d.resolve("config.json"), "{\"n_embd\": 64, \"n_head\": 4, \"activation_function\": \"relu\"}");
        GptConfig c = ModelDirectory.readConfig(d);
        assertThat(c.mlp()).isEqualTo(Mlp.RELU);
        assertThat(c.dMlp()).isEqualTo(256);
        assertThat(c.vocabSize()).as("HF GPT2Config default").isEqualTo(50257);
    }

    /** HF GPT2LMHeadModel.save_pretrained: transformer. prefix, attention-mask buffers, tied lm_head kept. */
    @Test
    void acceptsTransformerPrefixAndIgnoresBuffersAndTiedHead() throws IOException {
        GptConfig c = GptConfig.gpt2(11, 7, 8, 2, 2);
        Map<String, Tensor> w = randomWeights(c, 3);
        Map<String, Tensor> hf = new LinkedHashMap<>();
        w.forEach((k, v) -> hf.put("transformer." + k, v));
        hf.put("transformer.h.0.attn.bias", Tensor.zeros(1, 1, 7, 7));
        hf.put("transformer.h.0.attn.masked_bias", Tensor.scalar(-1e4f));
        hf.put("lm_head.weight", w.get("wte.weight"));
        Path d = Files.createDirectories(dir.resolve("hf"));
        Safetensors.write(d.resolve("model.safetensors"), hf);
        Files.writeString(d.resolve("config.json"), ConfigJson.format(c));
        var m = ModelDirectory.read(d);
        assertThat(m.weights().keySet()).containsExactlyElementsOf(c.expectedShapes().keySet());
        assertThat(m.weights().get("h.1.mlp.c_fc.weight").toArray())
                .containsExactly(w.get("h.1.mlp.c_fc.weight").toArray());
    }

    @Test
    void missingOrMisshapenTensorsAreNamed() throws IOException {
        GptConfig c = GptConfig.gpt2(11, 7, 8, 2, 2);
        Path d = dir.resolve("m");
        Map<String, Tensor> w = randomWeights(c, 3);
        ModelDirectory.write(d, c, w);
        Map<String, Tensor> broken = new LinkedHashMap<>(w);
        broken.remove("h.1.ln_2.bias");
        Safetensors.write(d.resolve("model.safetensors"), broken);
        assertThatThrownBy(() -> ModelDirectory.read(d)).isInstanceOf(LoupeException.class)
                .hasMessageContaining("model.safetensors").hasMessageContaining("'h.1.ln_2.bias' is missing")
                .hasMessageContaining("[8]");
        broken = new LinkedHashMap<>(w);
        broken.put("h.0.attn.c_attn.weight", Tensor.zeros(24, 8)); // nn.Linear orientation
        Safetensors.write(d.resolve("model.safetensors"), broken);
        assertThatThrownBy(() -> ModelDirectory.read(d)).isInstanceOf(LoupeException.class)
                .hasMessageContaining("'h.0.attn.c_attn.weight' has shape [24, 8], expected [8, 24]");
    }

    @Test
    void writeRefusesWrongWeights() {
        GptConfig c = GptConfig.gpt2(11, 7, 8, 1, 2);
        Map<String, Tensor> w = randomWeights(c, 3);
        w.put("lm_head.weight", Tensor.zeros(11, 8));
        assertThatThrownBy(() -> ModelDirectory.write(dir.resolve("m"), c, w))
                .isInstanceOf(LoupeException.class).hasMessageContaining("'lm_head.weight' is not part of");
        w.remove("lm_head.weight");
        w.put("wte.weight", Tensor.zeros(8, 11));
        assertThatThrownBy(() -> ModelDirectory.write(dir.resolve("m"), c, w))
                .isInstanceOf(LoupeException.class).hasMessageContaining("'wte.weight' has shape [8, 11]");
        assertThat(dir.resolve("m")).doesNotExist();
    }

    void assertBadConfig(String json, String... fragments) throws IOException {
        Path d = Files.createDirectories(dir.resolve("c"));
        Files.writeString(d.resolve("config.json"), json);
        var a = assertThatThrownBy(() -> ModelDirectory.readConfig(d)).isInstanceOf(LoupeException.class)
                .hasMessageContaining("config.json");
        for (String f : fragments) a.hasMessageContaining(f);
    }

    @Test
    void badConfigsFailWithSpecificMessages() throws IOException {
        assertBadConfig("{\"n_embd\": ", "malformed JSON");
        assertBadConfig("[]", "JSON object");
        assertBadConfig("{\"activation_function\": \"gelu\"}", "exact erf GELU");
        assertBadConfig("{\"activation_function\": \"silu\"}", "\"silu\" is not supported");
        assertBadConfig("{\"n_embd\": \"768\"}", "n_embd must be an integer");
        assertBadConfig("{\"n_embd\": 1.5}", "n_embd must be an integer");
        assertBadConfig("{\"n_embd\": 100, \"n_head\": 12}", "multiple of n_head");
        assertBadConfig("{\"tie_word_embeddings\": 1}", "tie_word_embeddings must be true or false");
        assertBadConfig("{\"model_type\": \"llama\"}", "model_type 'llama'");
        assertBadConfig("{\"loupe\": {\"norm\": \"sandwich\"}}", "loupe.norm \"sandwich\" is not one of pre|post");
        assertBadConfig("{\"loupe\": {\"experts\": 8}}", "unknown setting loupe.experts");
        assertBadConfig("{\"loupe\": 3}", "\"loupe\" must be an object");
        assertBadConfig("{\"n_inner\": 10, \"loupe\": {\"d_mlp\": 12}}", "contradicts n_inner");
        assertBadConfig("{\"activation_function\": \"relu\", \"loupe\": {\"mlp\": \"gelu\"}}", "contradicts");
    }

    @Test
    void notADirectory() throws IOException {
        assertThatThrownBy(() -> ModelDirectory.read(dir.resolve("nope"))).isInstanceOf(LoupeException.class)
                .hasMessageContaining("does not exist");
        Path empty = Files.createDirectories(dir.resolve("empty"));
        assertThatThrownBy(() -> ModelDirectory.read(empty)).isInstanceOf(LoupeException.class)
                .hasMessageContaining("has no config.json");
        Files.writeString(empty.resolve("config.json"), "{}");
        Files.writeString(empty.resolve("pytorch_model.bin"), "x");
        assertThatThrownBy(() -> ModelDirectory.read(empty)).isInstanceOf(LoupeException.class)
                .hasMessageContaining("no model.safetensors").hasMessageContaining("safetensors only");
    }
}
