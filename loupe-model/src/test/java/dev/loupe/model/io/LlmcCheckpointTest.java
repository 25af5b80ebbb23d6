package dev.loupe.model.io;

import dev.loupe.LoupeException;
import dev.loupe.model.GptConfig;
import dev.loupe.model.GptConfig.Mlp;
import dev.loupe.model.GptConfig.Norm;
import dev.loupe.model.GptConfig.Positional;
import dev.loupe.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LlmcCheckpointTest {
    @TempDir
    Path dir;

    // A tiny llm.c model: maxT 2, V 3 padded to Vp 4, L 2, NH 1, C 2; parameter k holds the value k.
    static final int MAXT = 2, V = 3, VP = 4, L = 2, C = 2;
    static final int WTE = 0, WPE = WTE + VP * C, LN1W = WPE + MAXT * C, LN1B = LN1W + L * C,
            QKVW = LN1B + L * C, QKVB = QKVW + L * 3 * C * C, ATTPROJW = QKVB + L * 3 * C,
            ATTPROJB = ATTPROJW + L * C * C, LN2W = ATTPROJB + L * C, LN2B = LN2W + L * C,
            FCW = LN2B + L * C, FCB = FCW + L * 4 * C * C, FCPROJW = FCB + L * 4 * C,
            FCPROJB = FCPROJW + L * C * 4 * C, LNFW = FCPROJB + L * C, LNFB = LNFW + C, TOTAL = LNFB + C;

    static byte[] handMade(int version) {
        int bytes = version == 5 ? 2 : 4;
        ByteBuffer b = ByteBuffer.allocate(1024 + TOTAL * bytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(20240326).putInt(version).putInt(MAXT).putInt(V).putInt(L).putInt(1).putInt(C).putInt(VP);
        b.position(1024);
        for (int k = 0; k < TOTAL; k++) {
            if (bytes == 4) b.putFloat(k);
            else b.putShort((short) (Float.floatToIntBits(k) >>> 16)); // exact: k < 256
        }
        return b.array();
    }

    @Test
    void handMadeFloat32AndBfloat16FilesLandInTheRightTensors() throws IOException {
        for (int version : new int[] {3, 5}) {
            Path f = dir.resolve("v" + version + ".bin");
            Files.write(f, handMade(version));
            var m = LlmcCheckpoint.read(f);
            assertThat(m.config()).isEqualTo(new GptConfig(V, MAXT, C, L, 1, 4 * C, 1e-5f, true, Norm.PRE,
                    Mlp.GELU, Positional.LEARNED));
            Map<String, Tensor> w = m.weights();
            assertThat(w.keySet()).containsExactlyElementsOf(m.config().expectedShapes().keySet());
            assertThat(w.get("wte.weight").toArray()).as("padding row dropped").containsExactly(0, 1, 2, 3, 4, 5);
            assertThat(w.get("wpe.weight").get(1, 0)).isEqualTo(WPE + C);
            assertThat(w.get("h.1.ln_1.bias").toArray()).containsExactly(LN1B + C, LN1B + C + 1);
            // Conv1D [in, out] element (i, o) is llm.c's [out, in] element (o, i)
            for (int l = 0; l < L; l++) {
                for (int i = 0; i < C; i++) {
                    for (int o = 0; o < 3 * C; o++) {
                        assertThat(w.get("h." + l + ".attn.c_attn.weight").get(i, o))
                                .isEqualTo(QKVW + l * 3 * C * C + o * C + i);
                    }
                    for (int o = 0; o < 4 * C; o++) {
                        assertThat(w.get("h." + l + ".mlp.c_fc.weight").get(i, o)).isEqualTo(FCW + l * 4 * C * C + o * C + i);
                        assertThat(w.get("h." + l + ".mlp.c_proj.weight").get(o, i))
                                .isEqualTo(FCPROJW + l * C * 4 * C + i * 4 * C + o);
                    }
                    for (int o = 0; o < C; o++) {
                        assertThat(w.get("h." + l + ".attn.c_proj.weight").get(i, o)).isEqualTo(ATTPROJW + l * C * C + o * C + i);
                    }
                }
                assertThat(w.get("h." + l + ".attn.c_attn.bias").get(5)).isEqualTo(QKVB + l * 3 * C + 5);
                assertThat(w.get("h." + l + ".attn.c_proj.bias").get(1)).isEqualTo(ATTPROJB + l * C + 1);
                assertThat(w.get("h." + l + ".ln_2.weight").get(0)).isEqualTo(LN2W + l * C);
                assertThat(w.get("h." + l + ".ln_2.bias").get(0)).isEqualTo(LN2B + l * C);
                assertThat(w.get("h." + l + ".mlp.c_fc.bias").get(7)).isEqualTo(FCB + l * 4 * C + 7);
                assertThat(w.get("h." + l + ".mlp.c_proj.bias").get(1)).isEqualTo(FCPROJB + l * C + 1);
                assertThat(w.get("h." + l + ".ln_1.weight").get(0)).isEqualTo(LN1W + l * C);
            }
            assertThat(w.get("ln_f.weight").toArray()).containsExactly(LNFW, LNFW + 1);
            assertThat(w.get("ln_f.bias").toArray()).containsExactly(LNFB, LNFB + 1);
        }
    }

    @Test
    void nativeToLlmcToNativeIsExact() throws IOException {
        GptConfig c = GptConfig.gpt2(131, 9, 8, 2, 2);
        Map<String, Tensor> w = ModelDirectoryTest.randomWeights(c, 7);
        Path f = dir.resolve("m.bin");
        LlmcCheckpoint.write(f, c, w);
        ByteBuffer h = ByteBuffer.wrap(Files.readAllBytes(f)).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(new int[] {h.getInt(0), h.getInt(4), h.getInt(8), h.getInt(12), h.getInt(16), h.getInt(20),
                h.getInt(24), h.getInt(28)}).containsExactly(20240326, 3, 9, 131, 2, 2, 8, 256);
        long params = 256L * 8 + 9 * 8 + 2 * (12L * 8 * 8 + 13 * 8) + 2 * 8;
        assertThat(Files.size(f)).isEqualTo(1024 + 4 * params);
        var back = LlmcCheckpoint.read(f);
        assertThat(back.config()).isEqualTo(c);
        for (String k : w.keySet()) {
            assertThat(back.weights().get(k).shape()).as(k).isEqualTo(w.get(k).shape());
            assertThat(back.weights().get(k).toArray()).as(k).containsExactly(w.get(k).toArray());
        }
        // and the same bytes again when written back
        Path g = dir.resolve("again.bin");
        LlmcCheckpoint.write(g, back.config(), back.weights());
        assertThat(Files.readAllBytes(g)).isEqualTo(Files.readAllBytes(f));
    }

    @Test
    void refusesWhatLlmcCannotCompute() {
        for (GptConfig c : new GptConfig[] {
                new GptConfig(5, 4, 4, 1, 1, 16, 1e-5f, true, Norm.POST, Mlp.GELU, Positional.LEARNED),
                new GptConfig(5, 4, 4, 1, 1, 16, 1e-5f, true, Norm.PRE, Mlp.RELU, Positional.LEARNED),
                new GptConfig(5, 4, 4, 1, 1, 16, 1e-5f, false, Norm.PRE, Mlp.GELU, Positional.LEARNED),
                new GptConfig(5, 4, 4, 1, 1, 12, 1e-5f, true, Norm.PRE, Mlp.GELU, Positional.LEARNED),
                new GptConfig(5, 4, 4, 1, 1, 16, 1e-5f, true, Norm.PRE, Mlp.GELU, Positional.SINUSOIDAL)}) {
            assertThatThrownBy(() -> LlmcCheckpoint.write(dir.resolve("x.bin"), c, ModelDirectoryTest.randomWeights(c, 1)))
                    .isInstanceOf(LoupeException.class).hasMessageContaining("llm.c");
        }
        assertThat(dir.resolve("x.bin")).doesNotExist();
    }

    @Test
    void badFilesNameTheProblem() throws IOException {
        Path f = dir.resolve("bad.bin");
        byte[] ok = handMade(3);
        Files.write(f, Arrays.copyOf(ok, ok.length - 4));
        assertThatThrownBy(() -> LlmcCheckpoint.read(f)).isInstanceOf(LoupeException.class)
                .hasMessageContaining("bad.bin").hasMessageContaining("truncated");
        Files.write(f, Arrays.copyOf(ok, 100));
        assertThatThrownBy(() -> LlmcCheckpoint.read(f)).hasMessageContaining("truncated");
        byte[] magic = ok.clone();
        ByteBuffer.wrap(magic).order(ByteOrder.LITTLE_ENDIAN).putInt(0, 20240520);
        Files.write(f, magic);
        assertThatThrownBy(() -> LlmcCheckpoint.read(f)).hasMessageContaining("not an llm.c model checkpoint");
        byte[] version = ok.clone();
        ByteBuffer.wrap(version).order(ByteOrder.LITTLE_ENDIAN).putInt(4, 4);
        Files.write(f, version);
        assertThatThrownBy(() -> LlmcCheckpoint.read(f)).hasMessageContaining("version 4");
        byte[] huge = ok.clone();
        ByteBuffer.wrap(huge).order(ByteOrder.LITTLE_ENDIAN).putInt(24, 1 << 30).putInt(20, 1);
        Files.write(f, huge);
        assertThatThrownBy(() -> LlmcCheckpoint.read(f)).isInstanceOf(LoupeException.class)
                .hasMessageContaining("bad.bin").hasMessageContaining("implausible header");
    }

    /** Issue 20: a header claiming bf16 over a float32 body converted to an all-NaN model with exit 0. */
    @Test
    void headerVersionThatDoesNotMatchTheBodyIsRefused() throws IOException {
        Path f = dir.resolve("lying.bin");
        byte[] body32 = handMade(3);
        ByteBuffer.wrap(body32).order(ByteOrder.LITTLE_ENDIAN).putInt(4, 5);   // says bfloat16
        Files.write(f, body32);
        assertThatThrownBy(() -> LlmcCheckpoint.read(f)).isInstanceOf(LoupeException.class)
                .hasMessageContaining("lying.bin").hasMessageContaining("version 5, bfloat16")
                .hasMessageContaining("exactly the size of float32 weights");
        byte[] trailing = Arrays.copyOf(handMade(3), handMade(3).length + 3);
        Files.write(f, trailing);
        assertThatThrownBy(() -> LlmcCheckpoint.read(f)).hasMessageContaining("3 bytes too many");
    }

    @Test
    void nonFiniteWeightsAreRefusedUnlessAllowed() throws IOException {
        Path f = dir.resolve("nan.bin");
        byte[] b = handMade(3);
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putFloat(1024 + 4 * WPE, Float.NaN);   // wpe[0, 0]
        Files.write(f, b);
        assertThatThrownBy(() -> LlmcCheckpoint.read(f)).isInstanceOf(LoupeException.class)
                .hasMessageContaining("'wpe.weight' holds NaN at [0, 0]");
        assertThat(LlmcCheckpoint.read(f, true).weights().get("wpe.weight").get(0, 0)).isNaN();
    }
}
