package dev.loupe.sae;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.loupe.LoupeException;
import dev.loupe.model.io.Safetensors;
import dev.loupe.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** SAELens' directory layout: round trips, the exact keys written, old cfg forms, bad files. */
class SaeFilesTest {
    @TempDir Path tmp;

    @ParameterizedTest
    @EnumSource(Architecture.class)
    void saveThenLoadGivesIdenticalOutputs(Architecture arch) {
        SparseAutoencoder sae = SaeFixtures.random(arch, 6, 20, 3, 7);
        float[] density = new float[20];
        for (int i = 0; i < 20; i++) density[i] = i / 40f;
        SaeFiles.save(sae, tmp, density);
        SparseAutoencoder back = SaeFiles.load(tmp);
        Tensor x = Tensor.randn(4, 1f, 11, 6);
        assertThat(back.forward(x).maxAbsDiff(sae.forward(x))).isZero();
        assertThat(back.encode(x).maxAbsDiff(sae.encode(x))).isZero();
        assertThat(back.config()).isEqualTo(sae.config());
        Tensor sparsity = SaeFiles.loadSparsity(tmp).orElseThrow();
        assertThat(sparsity.get(0)).isEqualTo(-10f);
        assertThat(sparsity.get(10)).isCloseTo((float) Math.log10(0.25), org.assertj.core.api.Assertions.within(1e-6f));
    }

    @Test
    void filesFollowSaeLensLayoutExactly() throws Exception {
        SparseAutoencoder sae = SaeFixtures.random(Architecture.TOPK, 6, 20, 3, 7);
        SaeFiles.save(sae, tmp, new float[20]);
        JsonNode cfg = new ObjectMapper().readTree(Files.readString(tmp.resolve("cfg.json")));
        List<String> keys = new ArrayList<>();
        for (Iterator<String> it = cfg.fieldNames(); it.hasNext(); ) keys.add(it.next());
        assertThat(keys).containsExactly("d_in", "d_sae", "dtype", "device", "apply_b_dec_to_input",
                "normalize_activations", "reshape_activations", "metadata", "k", "architecture");
        assertThat(cfg.get("architecture").asText()).isEqualTo("topk");
        assertThat(cfg.get("k").asInt()).isEqualTo(3);
        assertThat(cfg.get("dtype").asText()).isEqualTo("float32");
        assertThat(cfg.get("metadata").get("hook_name").asText()).isEqualTo("blocks.0.hook_resid_post");
        assertThat(cfg.get("metadata").get("model_name").asText()).isEqualTo("tiny");
        try (var f = Safetensors.open(tmp.resolve("sae_weights.safetensors"))) {
            assertThat(f.entries().keySet()).containsExactlyInAnyOrder("W_enc", "b_enc", "W_dec", "b_dec");
            assertThat(f.entries().get("W_enc").shape()).containsExactly(6, 20);
            assertThat(f.entries().get("W_dec").shape()).containsExactly(20, 6);
            assertThat(f.entries().get("b_enc").shape()).containsExactly(20);
            assertThat(f.entries().get("b_dec").shape()).containsExactly(6);
            f.entries().values().forEach(e -> assertThat(e.dtype()).isEqualTo(Safetensors.DType.F32));
        }
        try (var f = Safetensors.open(tmp.resolve("sparsity.safetensors"))) {
            assertThat(f.entries().keySet()).containsExactly("sparsity");
            assertThat(f.entries().get("sparsity").shape()).containsExactly(20);
        }
    }

    @Test
    void normalisationIsFoldedIntoTheSavedWeights() throws Exception {
        SparseAutoencoder base = SaeFixtures.random(Architecture.STANDARD, 6, 12, 0, 21);
        SparseAutoencoder scaled = SparseAutoencoder.of(base.config().withNormalizeActivations(SaeConfig.NORMALIZE_EXPECTED_AVERAGE),
                base.wEnc(), base.bEnc(), base.wDec(), base.bDec(), null, 2.5f);
        SaeFiles.save(scaled, tmp, new float[12]);
        SaeFiles.save(scaled, tmp, null);
        assertThat(Files.exists(tmp.resolve("sparsity.safetensors"))).as("no stale sparsity file").isFalse();
        JsonNode cfg = new ObjectMapper().readTree(Files.readString(tmp.resolve("cfg.json")));
        assertThat(cfg.get("normalize_activations").asText()).isEqualTo("none");
        Map<String, Tensor> w = Safetensors.read(tmp.resolve("sae_weights.safetensors"));
        assertThat(w.get("W_enc").get(1, 2)).isEqualTo(base.wEnc().get(1, 2) * 2.5f);
        assertThat(w.get("b_dec").get(3)).isEqualTo(base.bDec().get(3) / 2.5f);
        Tensor x = Tensor.randn(3, 4f, 5, 6);
        assertThat(SaeFiles.load(tmp).forward(x).maxAbsDiff(scaled.forward(x))).isLessThan(1e-5f);
    }

    @Test
    void readsTheOlderFlatConfig() throws Exception {
        SparseAutoencoder sae = SaeFixtures.random(Architecture.STANDARD, 6, 12, 0, 2);
        SaeFiles.save(sae, tmp, null);
        Files.writeString(tmp.resolve("cfg.json"), """
                {"model_name": "gpt2-small", "hook_point": "blocks.8.hook_resid_pre", "hook_point_layer": 8,
                 "hook_point_head_index": null, "d_in": 6, "expansion_factor": 2, "b_dec_init_method": "geometric_median",
                 "context_size": 128, "prepend_bos": true, "normalize_activations": false, "dtype": "torch.float32",
                 "device": "cuda", "lp_norm": 1, "l1_coefficient": 8e-05}
                """);
        SparseAutoencoder back = SaeFiles.load(tmp);
        assertThat(back.config().architecture()).isEqualTo(Architecture.STANDARD);
        assertThat(back.dSae()).isEqualTo(12);
        assertThat(back.config().metadata().hookName()).isEqualTo("blocks.8.hook_resid_pre");
        assertThat(back.config().metadata().hookLayer()).isEqualTo(8);
        assertThat(back.config().metadata().contextSize()).isEqualTo(128);
        assertThat(back.config().metadata().modelName()).isEqualTo("gpt2-small");
        Tensor x = Tensor.randn(3, 1f, 4, 6);
        assertThat(back.forward(x).maxAbsDiff(sae.forward(x))).isZero();

        Files.writeString(tmp.resolve("cfg.json"), """
                {"architecture": "standard", "d_in": 6, "d_sae": 12, "activation_fn_str": "topk",
                 "activation_fn_kwargs": {"k": 4}, "apply_b_dec_to_input": false, "hook_name": "blocks.1.hook_mlp_out",
                 "hook_layer": 1, "model_name": "m", "normalize_activations": "expected_average_only_in",
                 "finetuning_scaling_factor": false}
                """);
        back = SaeFiles.load(tmp);
        assertThat(back.config().architecture()).isEqualTo(Architecture.TOPK);
        assertThat(back.config().k()).isEqualTo(4);
        assertThat(back.config().applyBDecToInput()).isFalse();
        assertThat(back.inputScale()).isEqualTo(1f);
        assertThat(back.config().metadata().hookName()).isEqualTo("blocks.1.hook_mlp_out");
    }

    @Test
    void legacyScalingFactorIsFoldedIntoTheDecoder() {
        SparseAutoencoder sae = SaeFixtures.random(Architecture.STANDARD, 4, 6, 0, 9);
        SaeFiles.save(sae, tmp, null);
        Map<String, Tensor> w = new LinkedHashMap<>(Safetensors.read(tmp.resolve("sae_weights.safetensors")));
        Tensor s = Tensor.of(new float[] {1, 2, 0.5f, 1, 3, 1}, 6);
        w.put("scaling_factor", s);
        Safetensors.write(tmp.resolve("sae_weights.safetensors"), w);
        SparseAutoencoder back = SaeFiles.load(tmp);
        Tensor x = Tensor.randn(5, 1f, 3, 4);
        Tensor f = sae.encode(x);
        for (int r = 0; r < 3; r++) for (int j = 0; j < 6; j++) f.set(f.get(r, j) * s.get(j), r, j);
        assertThat(back.forward(x).maxAbsDiff(sae.decode(f))).isLessThan(1e-6f);
    }

    @Test
    void badDirectoriesGiveOneClearError() throws Exception {
        assertThatThrownBy(() -> SaeFiles.load(tmp.resolve("nope"))).isInstanceOf(LoupeException.class)
                .hasMessageContaining("no such SAE directory");
        SparseAutoencoder sae = SaeFixtures.random(Architecture.STANDARD, 4, 6, 0, 9);
        SaeFiles.save(sae, tmp, null);
        Map<String, Tensor> w = new LinkedHashMap<>(Safetensors.read(tmp.resolve("sae_weights.safetensors")));
        w.put("W_dec", Tensor.zeros(4, 6));
        Safetensors.write(tmp.resolve("sae_weights.safetensors"), w);
        assertThatThrownBy(() -> SaeFiles.load(tmp)).isInstanceOf(LoupeException.class)
                .hasMessageContaining("sae_weights.safetensors").hasMessageContaining("W_dec").hasMessageContaining("[6, 4]");
        w.remove("W_dec");
        Safetensors.write(tmp.resolve("sae_weights.safetensors"), w);
        assertThatThrownBy(() -> SaeFiles.load(tmp)).isInstanceOf(LoupeException.class)
                .hasMessageContaining("'W_dec' is missing");
        w.put("W_dec", Tensor.zeros(6, 4).fill(Float.NaN));
        Safetensors.write(tmp.resolve("sae_weights.safetensors"), w);
        assertThatThrownBy(() -> SaeFiles.load(tmp)).isInstanceOf(LoupeException.class).hasMessageContaining("NaN");
        Files.writeString(tmp.resolve("cfg.json"), "{\"d_in\": 4}");
        assertThatThrownBy(() -> SaeFiles.load(tmp)).isInstanceOf(LoupeException.class)
                .hasMessageContaining("cfg.json").hasMessageContaining("d_sae");
        Files.writeString(tmp.resolve("cfg.json"), "{\"d_in\": 4, \"d_sae\": 6, \"architecture\": \"gated\"}");
        assertThatThrownBy(() -> SaeFiles.load(tmp)).isInstanceOf(LoupeException.class).hasMessageContaining("gated");
        Files.writeString(tmp.resolve("cfg.json"), "{\"d_in\": 4, \"d_sae\": 6, \"architecture\": \"topk\", \"k\": 2,"
                + " \"rescale_acts_by_decoder_norm\": true}");
        assertThatThrownBy(() -> SaeFiles.load(tmp)).isInstanceOf(LoupeException.class).hasMessageContaining("rescale_acts_by_decoder_norm");
        Files.writeString(tmp.resolve("cfg.json"), "{not json");
        assertThatThrownBy(() -> SaeFiles.load(tmp)).isInstanceOf(LoupeException.class).hasMessageContaining("malformed JSON");
    }
}
