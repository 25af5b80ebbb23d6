package dev.loupe.model.io;

import dev.loupe.LoupeException;
import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.model.WeightFormat;
import dev.loupe.tensor.Tensor;
import dev.loupe.tensor.bf16.BFloat16;
import dev.loupe.tensor.bf16.Bf16Matrix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Reading a model directory with bfloat16 weight matrices: a float32 file is rounded (to nearest
 * even) into the same model {@link Gpt#toBf16} makes; a BF16 file (as {@code model.to(torch.bfloat16)}
 * saves it) is taken as stored, bit for bit, without passing through float32; the load checks still
 * apply.
 */
class ModelDirectoryBf16Test {
    private static final GptConfig C = GptConfig.gpt2(61, 16, 32, 2, 4);

    @Test
    void float32FileRoundsToTheSameModelAsToBf16(@TempDir Path dir) {
        Gpt m = Gpt.create(C, 3);
        ModelDirectory.write(dir, C, m.parameters());
        ModelDirectory.Bf16Weights w = ModelDirectory.readBf16(dir, false);
        assertThat(w.matrices().keySet()).allMatch(n -> Gpt.heldInBf16(C, n)).contains("wte.weight", "h.1.mlp.c_fc.weight");
        assertThat(w.vectors()).containsKeys("wpe.weight", "h.0.ln_1.weight", "h.0.attn.c_attn.bias");
        Gpt fromFile = w.gpt();
        assertThat(fromFile.weightFormat()).isEqualTo(WeightFormat.BF16);
        Gpt converted = m.toBf16();
        for (var e : converted.bf16Matrices().entrySet()) {
            assertThat(fromFile.bf16Matrices().get(e.getKey()).toRowMajor()).as(e.getKey()).containsExactly(e.getValue().toRowMajor());
        }
        int[] ids = {1, 5, 9, 60, 0, 2};
        assertThat(fromFile.logits(ids, 1, ids.length).maxAbsDiff(converted.logits(ids, 1, ids.length))).isZero();
    }

    @Test
    void bf16FileIsTakenAsStored(@TempDir Path dir) throws IOException {
        Gpt m = Gpt.create(C, 4);
        writeWithBf16Matrices(dir, m);
        ModelDirectory.Bf16Weights w = ModelDirectory.readBf16(dir, false);
        Bf16Matrix fc = w.matrices().get("h.0.mlp.c_fc.weight");
        Tensor original = m.parameters().get("h.0.mlp.c_fc.weight");
        assertThat(fc.get(3, 7)).isEqualTo(BFloat16.round(original.get(3, 7)));
        // the float32 reader widens the same file exactly: both readers see the same values
        Tensor widened = ModelDirectory.read(dir).weights().get("h.0.mlp.c_fc.weight");
        assertThat(fc.toTensor().maxAbsDiff(widened)).isZero();
    }

    @Test
    void nonFiniteBf16WeightsAreRefusedUnlessAllowed(@TempDir Path dir) throws IOException {
        Gpt m = Gpt.create(C, 5);
        m.parameters().get("h.1.attn.c_proj.weight").set(Float.NaN, 2, 3);
        writeWithBf16Matrices(dir, m);
        assertThatThrownBy(() -> ModelDirectory.readBf16(dir, false)).isInstanceOf(LoupeException.class)
                .hasMessageContaining("h.1.attn.c_proj.weight").hasMessageContaining("[2, 3]").hasMessageContaining("--allow-nonfinite");
        assertThat(ModelDirectory.readBf16(dir, true).matrices().get("h.1.attn.c_proj.weight").get(2, 3)).isNaN();
    }

    /** model.safetensors with the bf16-held matrices as BF16 and everything else F32, plus config.json. */
    private static void writeWithBf16Matrices(Path dir, Gpt m) throws IOException {
        ModelDirectory.write(dir, C, m.parameters());             // config.json (and an F32 file, replaced below)
        StringBuilder header = new StringBuilder("{");
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        for (Map.Entry<String, Tensor> e : m.parameters().entrySet()) {
            boolean half = Gpt.heldInBf16(C, e.getKey());
            float[] v = e.getValue().toArray();
            ByteBuffer b = ByteBuffer.allocate(v.length * (half ? 2 : 4)).order(ByteOrder.LITTLE_ENDIAN);
            for (float f : v) {
                if (half) b.putShort(BFloat16.fromFloat(f));
                else b.putFloat(f);
            }
            if (header.length() > 1) header.append(',');
            int[] s = e.getValue().shape();
            header.append('"').append(e.getKey()).append("\":{\"dtype\":\"").append(half ? "BF16" : "F32").append("\",\"shape\":")
                    .append(java.util.Arrays.toString(s).replace(" ", "")).append(",\"data_offsets\":[").append(data.size())
                    .append(',').append(data.size() + b.capacity()).append("]}");
            data.write(b.array());
        }
        byte[] h = header.append('}').toString().getBytes(StandardCharsets.UTF_8);
        ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length);
        ByteArrayOutputStream file = new ByteArrayOutputStream();
        file.write(len.array());
        file.write(h);
        file.write(data.toByteArray());
        Files.write(dir.resolve(ModelDirectory.WEIGHTS), file.toByteArray());
    }
}
