package dev.loupe.model.lora;

import dev.loupe.LoupeException;
import dev.loupe.model.Gpt;
import dev.loupe.tensor.Tensor;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AdapterFilesTest {
    @TempDir
    Path dir;

    @Test
    void writesPeftsLayoutAndReadsItBack() throws Exception {
        Gpt base = LoraModelTest.base();
        LoraModel m = LoraModel.create(LoraModelTest.C, base.parameters(), LoraModelTest.ALL, 1);
        LoraModelTest.randomizeB(m, 3);
        AdapterFiles.write(dir, m.lora(), m.parameters());
        JsonNode cfg = new ObjectMapper().readTree(dir.resolve("adapter_config.json").toFile());
        assertThat(cfg.path("peft_type").asText()).isEqualTo("LORA");
        assertThat(cfg.path("task_type").asText()).isEqualTo("CAUSAL_LM");
        assertThat(cfg.path("r").asInt()).isEqualTo(4);
        assertThat(cfg.path("lora_alpha").isIntegralNumber()).isTrue();
        assertThat(cfg.path("fan_in_fan_out").asBoolean()).isTrue();
        assertThat(cfg.path("bias").asText()).isEqualTo("none");
        assertThat(cfg.path("base_model_name_or_path").asText()).isEqualTo("tiny");
        assertThat(cfg.has("target_modules") && cfg.has("lora_dropout") && cfg.has("use_rslora") && cfg.has("inference_mode")).isTrue();
        Map<String, Tensor> saved = dev.loupe.model.io.Safetensors.read(dir.resolve("adapter_model.safetensors"));
        assertThat(saved).containsKey("base_model.model.transformer.h.1.mlp.c_fc.lora_A.weight");
        assertThat(saved.get("base_model.model.transformer.h.0.attn.c_attn.lora_A.weight").shape()).containsExactly(4, 16);
        assertThat(saved.get("base_model.model.transformer.h.0.attn.c_attn.lora_B.weight").shape()).containsExactly(48, 4);
        assertThat(saved.get("base_model.model.transformer.h.0.mlp.c_proj.lora_A.weight").shape()).containsExactly(4, 32);

        AdapterFiles.Loaded back = AdapterFiles.read(dir);
        assertThat(back.config()).isEqualTo(m.lora());
        LoraModel again = LoraModel.load(LoraModelTest.C, base.parameters(), back.config(), back.tensors(), 0);
        assertThat(again.model().logits(LoraModelTest.IDS, 1, 10).toArray())
                .containsExactly(m.model().logits(LoraModelTest.IDS, 1, 10).toArray());
    }

    /**
     * An adapter written by a plain Python script that follows PEFT's save_pretrained layout (peft
     * itself is not installable here): the config as PEFT 0.13 writes it, names without the adapter
     * name, A [r, in], B [out, r]; only A and B of attn.c_attn (target_modules ["c_attn"]), rsLoRA.
     */
    @Test
    void loadsAnAdapterWrittenInPeftsLayoutByPython() throws Exception {
        Path python = Path.of("/usr/bin/python3");
        Assumptions.assumeTrue(Files.isExecutable(python), "python absent: skipped (no /usr/bin/python3)");
        String script = """
                import json, struct, sys, os
                d = sys.argv[1]
                cfg = {"alpha_pattern": {}, "auto_mapping": None, "base_model_name_or_path": "tiny", "bias": "none",
                       "fan_in_fan_out": True, "inference_mode": True, "init_lora_weights": True, "layer_replication": None,
                       "layers_pattern": None, "layers_to_transform": None, "loftq_config": {}, "lora_alpha": 3,
                       "lora_dropout": 0.1, "megatron_config": None, "megatron_core": "megatron.core", "modules_to_save": None,
                       "peft_type": "LORA", "r": 2, "rank_pattern": {}, "revision": None, "target_modules": ["c_attn"],
                       "task_type": "CAUSAL_LM", "use_dora": False, "use_rslora": True}
                json.dump(cfg, open(os.path.join(d, "adapter_config.json"), "w"), indent=2, sort_keys=True)
                tensors = {}
                for l in range(2):
                    tensors[f"base_model.model.transformer.h.{l}.attn.c_attn.lora_A.weight"] = ([2, 16], [((i * 7 + l) % 11 - 5) / 20 for i in range(32)])
                    tensors[f"base_model.model.transformer.h.{l}.attn.c_attn.lora_B.weight"] = ([48, 2], [((i * 5 + l) % 13 - 6) / 30 for i in range(96)])
                header, blobs, off = {"__metadata__": {"format": "pt"}}, [], 0
                for name in sorted(tensors):
                    shape, vals = tensors[name]
                    b = struct.pack("<%df" % len(vals), *vals)
                    header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [off, off + len(b)]}
                    off += len(b); blobs.append(b)
                h = json.dumps(header).encode()
                with open(os.path.join(d, "adapter_model.safetensors"), "wb") as f:
                    f.write(struct.pack("<Q", len(h))); f.write(h); f.write(b"".join(blobs))
                """;
        Path py = dir.resolve("peft_layout.py");
        Files.writeString(py, script);
        Path adapter = Files.createDirectory(dir.resolve("adapter"));
        Process p = new ProcessBuilder(python.toString(), py.toString(), adapter.toString()).redirectErrorStream(true).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(new String(p.getInputStream().readAllBytes())).isZero();

        AdapterFiles.Loaded a = AdapterFiles.read(adapter);
        assertThat(a.config().r()).isEqualTo(2);
        assertThat(a.config().scale()).isEqualTo((float) (3 / Math.sqrt(2)));
        assertThat(a.config().targetModules()).containsExactly("c_attn");
        Gpt base = LoraModelTest.base();
        LoraModel m = LoraModel.load(LoraModelTest.C, base.parameters(), a.config(), a.tensors(), 0);
        assertThat(m.adapters()).containsOnlyKeys("h.0.attn.c_attn", "h.1.attn.c_attn");
        // ΔW[i, o] = s · Σ_k A[k, i] · B[o, k] for layer 0, element (3, 40), from the script's formulas
        double expected = 0;
        for (int k = 0; k < 2; k++) expected += (((k * 16 + 3) * 7) % 11 - 5) / 20.0 * (((40 * 2 + k) * 5) % 13 - 6) / 30.0;
        expected *= 3 / Math.sqrt(2);
        assertThat((double) m.adapters().get("h.0.attn.c_attn").delta().get(3, 40)).isCloseTo(expected, org.assertj.core.data.Offset.offset(1e-6));
    }

    @Test
    void refusesWhatItCannotComputeNamingTheKey() throws Exception {
        String ok = AdapterFiles.configJson(LoraModelTest.ALL);
        assertThatThrownBy(() -> AdapterFiles.parseConfig(ok.replace("\"use_dora\" : false", "\"use_dora\" : true"), "a.json"))
                .isInstanceOf(LoupeException.class).hasMessage("a.json: \"use_dora\" is set: DoRA is not supported");
        assertThatThrownBy(() -> AdapterFiles.parseConfig(ok.replace("\"LORA\"", "\"IA3\""), "a.json"))
                .hasMessageContaining("peft_type is 'IA3'");
        assertThatThrownBy(() -> AdapterFiles.parseConfig(ok.replace("\"rank_pattern\" : { }", "\"rank_pattern\" : {\"c_attn\": 2}"), "a.json"))
                .hasMessageContaining("rank_pattern");
        assertThatThrownBy(() -> AdapterFiles.parseConfig("{", "a.json")).hasMessageStartingWith("a.json: malformed JSON");
        assertThatThrownBy(() -> AdapterFiles.read(dir.resolve("nope"))).hasMessageContaining("does not exist");
        Gpt base = LoraModelTest.base();
        assertThatThrownBy(() -> LoraModel.load(LoraModelTest.C, base.parameters(), LoraModelTest.ALL, Map.of(), 0))
                .hasMessageContaining("h.0.attn.c_attn.lora_A.weight' is missing");
    }
}
