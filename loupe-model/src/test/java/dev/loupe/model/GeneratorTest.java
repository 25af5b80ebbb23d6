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
    void learnedPositionsCannotGenerateBeyondTheContext() {
        GptConfig c = TinyModels.config(GptConfig.Positional.LEARNED, GptConfig.Norm.PRE, GptConfig.Mlp.GELU, true, 1);
        Gpt m = TinyModels.randomModel(c, 23);
        assertThat(new Generator(m, Sampler.greedy()).generate(new int[] {1, 2}, 7)).hasSize(9); // uses 8 positions
        assertThatThrownBy(() -> new Generator(m, Sampler.greedy()).generate(new int[] {1, 2}, 8))
                .isInstanceOf(LoupeException.class).hasMessageContaining("n_positions = 8");
        assertThatThrownBy(() -> new Generator(m, Sampler.greedy()).generate(new int[0], 3))
                .isInstanceOf(LoupeException.class).hasMessageContaining("prompt is empty");
    }
}
