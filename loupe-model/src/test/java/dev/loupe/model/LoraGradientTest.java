package dev.loupe.model;

import dev.loupe.model.lora.LoraAdapter;
import dev.loupe.model.lora.LoraConfig;
import dev.loupe.model.lora.LoraModel;
import dev.loupe.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * LoRA gradients (dA, dB of every adapted module, through a frozen model) against central finite
 * differences of the float64 {@link ReferenceGpt} run on the merged weights W + s·(B·A)ᵀ, computed
 * in float64. Same tolerance argument as {@link GptGradientTest}: 2e-4 of the tensor's largest
 * gradient is 100× the float32 rounding of the analytic gradient, while a wrong term, sign or
 * transpose gives errors of the order of the gradient itself.
 */
class LoraGradientTest {
    static final int B = 2, T = 5;
    static final double H = 1e-5;

    static List<GptConfig> variants() {
        return List.of(
                TinyModels.config(GptConfig.Positional.LEARNED, GptConfig.Norm.PRE, GptConfig.Mlp.GELU, true, 2),
                TinyModels.config(GptConfig.Positional.SINUSOIDAL, GptConfig.Norm.POST, GptConfig.Mlp.SWIGLU, false, 2),
                TinyModels.config(GptConfig.Positional.NONE, GptConfig.Norm.PRE, GptConfig.Mlp.NONE, false, 2));
    }

    @ParameterizedTest(name = "{index}: {0}")
    @MethodSource("variants")
    void adapterGradientsEqualFloat64FiniteDifferences(GptConfig c) {
        Gpt base = TinyModels.randomModel(c, 11);
        LoraConfig cfg = LoraConfig.of(3, 6, 0.0, List.of("c_attn", "c_proj", "c_fc"), "");
        LoraModel m = LoraModel.create(c, base.parameters(), cfg, 5);
        SplittableRandom r = new SplittableRandom(9);
        for (LoraAdapter a : m.adapters().values()) {   // B ≠ 0 so dA ≠ 0
            float[] d = a.b.contiguousData();
            for (int i = 0; i < d.length; i++) d[i] = (float) (0.3 * Tensor.gaussian(r));
        }
        int[] ids = TinyModels.tokens(1, B * T, c.vocabSize());
        int[] targets = TinyModels.tokens(2, B * T, c.vocabSize());
        m.zeroGradients();
        float loss = m.forwardBackward(ids, targets, B, T);
        assertThat(m.model().gradients()).as("a frozen base model has no gradients").isEmpty();

        ReferenceGpt ref = new ReferenceGpt(c, base.parameters());
        Map<String, double[]> original = new java.util.LinkedHashMap<>();
        ref.w.forEach((k, v) -> original.put(k, v.clone()));
        m.adapters().forEach((path, a) -> merge(ref, original, path, a, toDouble(a.a), toDouble(a.b)));
        assertThat((double) loss).isCloseTo(ref.loss(ids, targets, B, T), org.assertj.core.data.Offset.offset(1e-5));

        for (Map.Entry<String, LoraAdapter> e : m.adapters().entrySet()) {
            LoraAdapter a = e.getValue();
            double[] aa = toDouble(a.a), bb = toDouble(a.b);
            for (String which : List.of("A", "B")) {
                double[] p = which.equals("A") ? aa : bb;
                float[] g = m.gradients().get(LoraModel.tensorName(e.getKey(), which)).toArray();
                double[] fd = new double[p.length];
                double scale = 0;
                for (int i = 0; i < p.length; i++) {
                    double saved = p[i];
                    p[i] = saved + H;
                    merge(ref, original, e.getKey(), a, aa, bb);
                    double plus = ref.loss(ids, targets, B, T);
                    p[i] = saved - H;
                    merge(ref, original, e.getKey(), a, aa, bb);
                    double minus = ref.loss(ids, targets, B, T);
                    p[i] = saved;
                    fd[i] = (plus - minus) / (2 * H);
                    scale = Math.max(scale, Math.abs(fd[i]));
                }
                merge(ref, original, e.getKey(), a, aa, bb);
                assertThat(scale).as("%s lora_%s has a gradient", e.getKey(), which).isGreaterThan(1e-6);
                for (int i = 0; i < p.length; i++) {
                    assertThat(Math.abs(g[i] - fd[i])).as("%s lora_%s[%d]: analytic %s, fd %s", e.getKey(), which, i, g[i], fd[i])
                            .isLessThanOrEqualTo(2e-4 * scale + 1e-7);
                }
            }
        }
    }

    /** ref.w[path.weight] = W + s·Aᵀ·Bᵀ in float64 (W [in, out], A [r, in], B [out, r]). */
    private static void merge(ReferenceGpt ref, Map<String, double[]> original, String path, LoraAdapter a, double[] aa, double[] bb) {
        int r = a.rank(), in = a.a.dim(1), out = a.b.dim(0);
        double[] w = original.get(path + ".weight").clone();
        for (int i = 0; i < in; i++)
            for (int o = 0; o < out; o++) {
                double s = 0;
                for (int k = 0; k < r; k++) s += aa[k * in + i] * bb[o * r + k];
                w[i * out + o] += a.scale() * s;
            }
        ref.w.put(path + ".weight", w);
    }

    private static double[] toDouble(Tensor t) {
        float[] f = t.toArray();
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }
}
