package dev.loupe.model;

import dev.loupe.LoupeException;
import dev.loupe.tensor.Tensor;
import dev.loupe.tensor.ops.Ops;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GeneratorTest {
    @Test
    void greedyGenerationEqualsArgmaxOfTheFullForwardAtEveryStep() {
        GptConfig c = TinyModels.config(GptConfig.Positional.LEARNED, GptConfig.Norm.PRE, GptConfig.Mlp.GELU, true, 2);
        Gpt m = TinyModels.randomModel(c, 21);
        int[] prompt = {3, 1, 4};
        int[] out = new Generator(m, Sampler.greedy()).generate(prompt, 5);
        assertThat(out).hasSize(8).startsWith(prompt);
        for (int n = prompt.length; n < out.length; n++) {
            int[] ctx = Arrays.copyOf(out, n);
            Tensor logits = m.logits(ctx, 1, n);
            assertThat(Ops.argmax(logits.select(1, n - 1))[0]).as("token %d", n).isEqualTo(out[n]);
        }
    }

    @Test
    void seededSamplingIsReproducibleAndCanStopEarly() {
        GptConfig c = TinyModels.config(GptConfig.Positional.SINUSOIDAL, GptConfig.Norm.POST, GptConfig.Mlp.SWIGLU, false, 1);
        Gpt m = TinyModels.randomModel(c, 22);
        int[] a = new Generator(m, new Sampler(1f, 5, 0.9f, 7)).generate(new int[] {0}, 20);
        int[] b = new Generator(m, new Sampler(1f, 5, 0.9f, 7)).generate(new int[] {0}, 20);
        assertThat(a).isEqualTo(b).hasSize(21);   // sinusoidal: longer than n_positions = 8 is fine
        int[] stopped = new Generator(m, new Sampler(1f, 5, 0.9f, 7)).generate(new int[] {0}, 20, t -> t != a[3]);
        assertThat(stopped).isEqualTo(Arrays.copyOf(a, 4));
    }

    @Test
    void beyondLearnedPositionsTheContextIsCroppedToTheLastWindowAsNanoGptDoes() {
        GptConfig c = TinyModels.config(GptConfig.Positional.LEARNED, GptConfig.Norm.PRE, GptConfig.Mlp.GELU, true, 1);
        Gpt m = TinyModels.randomModel(c, 23);
        int window = c.nPositions(); // 8
        assertThat(Generator.cropsContext(c, 2, 7)).isFalse(); // uses 8 positions
        assertThat(Generator.cropsContext(c, 2, 8)).isTrue();
        int[] prompt = {1, 2, 3, 4, 5, 6, 7, 1, 2, 3}; // longer than the window itself
        int[] out = new Generator(m, Sampler.greedy()).generate(prompt, 12);
        assertThat(out).hasSize(22).startsWith(prompt);
        for (int n = prompt.length; n < out.length; n++) { // nanoGPT: logits of idx[:, -block_size:]
            int[] ctx = Arrays.copyOfRange(out, Math.max(0, n - window), n);
            Tensor logits = m.logits(ctx, 1, ctx.length);
            assertThat(Ops.argmax(logits.select(1, ctx.length - 1))[0]).as("token %d", n).isEqualTo(out[n]);
        }
        assertThatThrownBy(() -> new Generator(m, Sampler.greedy()).generate(new int[0], 3))
                .isInstanceOf(LoupeException.class).hasMessageContaining("prompt is empty");
    }
}
