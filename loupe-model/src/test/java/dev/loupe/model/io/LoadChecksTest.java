package dev.loupe.model.io;

import dev.loupe.LoupeException;
import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Issue 20's broken model directories: every one is refused with one message naming the file and
 * what is wrong, fast, instead of running out of memory, blocking, or loading shifted, NaN or
 * partial weights.
 */
class LoadChecksTest {
    @TempDir
    Path dir;

    static final GptConfig TWO_LAYERS = GptConfig.gpt2(11, 7, 8, 2, 2);

    Path model(String name, GptConfig c, Map<String, Tensor> w) {
        Path d = dir.resolve(name);
        ModelDirectory.write(d, c, w);
        return d;
    }

    @Test
    void hugeLayerCountIsRefusedInMillisecondsWithTheFigure() throws IOException {
        Path d = model("huge", TWO_LAYERS, ModelDirectoryTest.randomWeights(TWO_LAYERS, 1));
        String cfg = Files.readString(d.resolve("config.json")).replace("\"n_layer\" : 2", "\"n_layer\" : 1000000000");
        assertThat(cfg).contains("1000000000");
        Files.writeString(d.resolve("config.json"), cfg);
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> ModelDirectory.read(d)).isInstanceOf(LoupeException.class)
                .hasMessageContaining("config.json").hasMessageContaining("1000000000-layer")
                .hasMessageContaining("12000000004 tensors").hasMessageContaining("holds 28 tensors");
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(2_000);
    }

    @Test
    void parametersBeyondTheHeapAreRefusedBeforeAllocating() {
        GptConfig huge = GptConfig.gpt2(50257, 1024, 4096, 100_000, 32);   // 2·10¹³ parameters
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> Gpt.create(huge, 1)).isInstanceOf(LoupeException.class)
                .hasMessageContaining("parameters").hasMessageContaining("GB").hasMessageContaining("heap");
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(2_000);
    }

    @Test
    void sizesThatOverflowAnIntAreRefusedWithTheFigure() {
        assertThatThrownBy(() -> GptConfig.gpt2(65, 256, 1_000_000_000, 2, 2)).isInstanceOf(LoupeException.class)
                .hasMessageContaining("1000000000").hasMessageNotContaining("-294967296");
        // what a caller computing 4·d_model in int passes: the size is blamed, not a negative d_mlp
        assertThatThrownBy(() -> new GptConfig(65, 256, 1_000_000_000, 2, 2, 4 * 1_000_000_000, 1e-5f, true,
                GptConfig.Norm.PRE, GptConfig.Mlp.GELU, GptConfig.Positional.LEARNED))
                .hasMessageContaining("n_embd").hasMessageNotContaining("d_mlp must be positive");
        assertThatThrownBy(() -> GptConfig.gpt2(2_000_000_000, 256, 64, 2, 2)).hasMessageContaining("wte.weight");
        assertThat(GptConfig.gpt2(50257, 1024, 768, 12, 12).parameterCount()).isEqualTo(124_439_808L);
        GptConfig post = new GptConfig(11, 7, 8, 3, 2, 12, 1e-5f, false, GptConfig.Norm.POST, GptConfig.Mlp.SWIGLU,
                GptConfig.Positional.SINUSOIDAL);
        // the counts follow every option that adds or removes tensors: no LayerNorm, no attention biases, no MLP
        for (GptConfig c : new GptConfig[] {post, post.withNorm(GptConfig.Norm.NONE), post.withAttnBias(false),
                GptConfig.gpt2(11, 7, 8, 2, 2).withNorm(GptConfig.Norm.NONE).withAttnBias(false),
                new GptConfig(11, 7, 8, 2, 2, 0, 1e-5f, true, GptConfig.Norm.NONE, GptConfig.Mlp.NONE, GptConfig.Positional.LEARNED)}) {
            long n = 0;
            for (int[] s : c.expectedShapes().values()) {
                long e = 1;
                for (int x : s) e *= x;
                n += e;
            }
            assertThat(c.parameterCount()).as(c.toString()).isEqualTo(n);
            assertThat(c.tensorCount()).as(c.toString()).isEqualTo(c.expectedShapes().size());
        }
    }

    @Test
    void configWithFewerLayersThanTheWeightsIsRefusedListingTheTensors() {
        Path d = model("m", TWO_LAYERS, ModelDirectoryTest.randomWeights(TWO_LAYERS, 1));
        GptConfig one = GptConfig.gpt2(11, 7, 8, 1, 2);
        dev.loupe.tensor.io.AtomicFiles.writeString(d.resolve("config.json"), ConfigJson.format(one));
        assertThatThrownBy(() -> ModelDirectory.read(d)).isInstanceOf(LoupeException.class)
                .hasMessageContaining("model.safetensors").hasMessageContaining("12 tensors")
                .hasMessageContaining("h.1.ln_1.weight").hasMessageContaining("(4 more)");
    }

    @Test
    void unknownExtraTensorsAreRefused() {
        Map<String, Tensor> w = ModelDirectoryTest.randomWeights(TWO_LAYERS, 1);
        Path d = model("m", TWO_LAYERS, w);
        Map<String, Tensor> extra = new LinkedHashMap<>(w);
        extra.put("something.else", Tensor.zeros(2));
        extra.put("h.7.attn.bias", Tensor.zeros(1, 1, 7, 7));   // a buffer of a layer the config does not have
        Safetensors.write(d.resolve("model.safetensors"), extra);
        assertThatThrownBy(() -> ModelDirectory.read(d)).isInstanceOf(LoupeException.class)
                .hasMessageContaining("2 tensors").hasMessageContaining("something.else").hasMessageContaining("h.7.attn.bias");
    }

    @Test
    void tiedHeadThatDiffersFromTheEmbeddingIsRefused() {
        Map<String, Tensor> w = ModelDirectoryTest.randomWeights(TWO_LAYERS, 1);
        Path d = model("m", TWO_LAYERS, w);
        Map<String, Tensor> withHead = new LinkedHashMap<>(w);
        withHead.put("lm_head.weight", Tensor.randn(9, 0.5f, 11, 8));
        Safetensors.write(d.resolve("model.safetensors"), withHead);
        assertThatThrownBy(() -> ModelDirectory.read(d)).isInstanceOf(LoupeException.class)
                .hasMessageContaining("'lm_head.weight' differs from wte.weight");
        withHead.put("lm_head.weight", w.get("wte.weight"));
        Safetensors.write(d.resolve("model.safetensors"), withHead);
        assertThat(ModelDirectory.read(d).weights()).containsOnlyKeys(TWO_LAYERS.expectedShapes().keySet());
    }

    @Test
    void nonFiniteWeightsAreRefusedNamingTheTensorAndIndexUnlessAllowed() {
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            Map<String, Tensor> w = ModelDirectoryTest.randomWeights(TWO_LAYERS, 1);
            w.get("h.1.mlp.c_fc.weight").set(bad, 5, 17);
            Path d = model("nan" + bad, TWO_LAYERS, w);
            assertThatThrownBy(() -> ModelDirectory.read(d)).isInstanceOf(LoupeException.class)
                    .hasMessageContaining("'h.1.mlp.c_fc.weight'").hasMessageContaining(Float.toString(bad))
                    .hasMessageContaining("[5, 17]").hasMessageContaining("--allow-nonfinite");
            float loaded = ModelDirectory.read(d, true).weights().get("h.1.mlp.c_fc.weight").get(5, 17);
            assertThat(Float.floatToIntBits(loaded)).isEqualTo(Float.floatToIntBits(bad));
        }
        float[] data = new float[10_000];
        data[9_999] = Float.NaN;
        assertThat(FiniteWeights.firstNonFinite(data, 0, data.length)).isEqualTo(9_999);
        data[4_100] = Float.POSITIVE_INFINITY;
        assertThat(FiniteWeights.firstNonFinite(data, 0, data.length)).isEqualTo(4_100);
        assertThat(FiniteWeights.firstNonFinite(data, 0, 4_100)).isEqualTo(-1);
        assertThat(FiniteWeights.firstNonFinite(data, 4_101, 5_000)).isEqualTo(-1);
        data[0] = Float.MAX_VALUE;
        data[1] = -Float.MAX_VALUE;
        assertThat(FiniteWeights.firstNonFinite(data, 0, 4_000)).isEqualTo(-1);
    }

    @Test
    void trailingTextAfterTheConfigObjectIsRefused() throws IOException {
        Path d = model("m", TWO_LAYERS, ModelDirectoryTest.randomWeights(TWO_LAYERS, 1));
        Files.writeString(d.resolve("config.json"), ConfigJson.format(TWO_LAYERS) + "{\"n_layer\": 1}\n");
        assertThatThrownBy(() -> ModelDirectory.read(d)).isInstanceOf(LoupeException.class)
                .hasMessageContaining("config.json").hasMessageContaining("malformed JSON");
    }

    @Test
    void nonUtf8ConfigNamesTheFileAndTheByte() throws IOException {
        Path d = model("m", TWO_LAYERS, ModelDirectoryTest.randomWeights(TWO_LAYERS, 1));
        byte[] latin1 = "{\"n_layer\": 2, \"note\": \"caf\u00e9\"}".getBytes(StandardCharsets.ISO_8859_1);
        Files.write(d.resolve("config.json"), latin1);
        assertThatThrownBy(() -> ModelDirectory.readConfig(d)).isInstanceOf(LoupeException.class)
                .hasMessageContaining("config.json").hasMessageContaining("not valid UTF-8")
                .hasMessageContaining("0xe9").hasMessageContaining("offset " + (latin1.length - 3))
                .hasMessageNotContaining("Input length");
    }

    @Test
    @Timeout(20)
    void fifoAsConfigIsRefusedInsteadOfBlocking() throws Exception {
        Path d = Files.createDirectories(dir.resolve("fifo"));
        Process p = new ProcessBuilder("mkfifo", d.resolve("config.json").toString()).start();
        assumeTrue(p.waitFor() == 0, "mkfifo is not available");
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> ModelDirectory.read(d)).isInstanceOf(LoupeException.class)
                .hasMessageContaining("config.json").hasMessageContaining("not a regular file");
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(2_000);
    }

}
