package dev.loupe.model;

import dev.loupe.LoupeException;
import dev.loupe.tensor.Tensor;
import dev.loupe.tensor.ops.Ops;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GptTest {
    @Test
    void createFollowsGpt2Initialisation() {
        GptConfig c = GptConfig.gpt2(500, 64, 64, 4, 4);
        Gpt m = Gpt.create(c, 1);
        assertThat(m.parameters().keySet()).containsExactlyElementsOf(c.expectedShapes().keySet());
        double resid = 0.02 / Math.sqrt(2 * 4);
        assertThat(std(m.parameters().get("wte.weight"))).isCloseTo(0.02, org.assertj.core.data.Offset.offset(0.0005));
        assertThat(std(m.parameters().get("h.0.attn.c_attn.weight"))).isCloseTo(0.02, org.assertj.core.data.Offset.offset(0.0005));
        assertThat(std(m.parameters().get("h.3.mlp.c_proj.weight"))).isCloseTo(resid, org.assertj.core.data.Offset.offset(0.0003));
        assertThat(std(m.parameters().get("h.2.attn.c_proj.weight"))).isCloseTo(resid, org.assertj.core.data.Offset.offset(0.0005));
        assertThat(Ops.sumOfSquares(m.parameters().get("h.1.mlp.c_fc.bias"))).isZero();
        assertThat(m.parameters().get("ln_f.weight").toArray()).containsOnly(1f);
        assertThat(m.parameters().get("h.0.ln_1.bias").toArray()).containsOnly(0f);
        // Same seed, same model; another seed, another model.
        assertThat(Gpt.create(c, 1).parameters().get("wpe.weight").maxAbsDiff(m.parameters().get("wpe.weight"))).isZero();
        assertThat(Gpt.create(c, 2).parameters().get("wpe.weight").maxAbsDiff(m.parameters().get("wpe.weight"))).isPositive();
        // Untied adds lm_head, SwiGLU doubles c_fc, attention-only drops the MLP.
        GptConfig v = new GptConfig(50, 16, 16, 1, 2, 24, 1e-5f, false, GptConfig.Norm.PRE, GptConfig.Mlp.SWIGLU, GptConfig.Positional.NONE);
        Gpt u = Gpt.create(v, 3);
        assertThat(u.parameters().get("lm_head.weight").shape()).containsExactly(50, 16);
        assertThat(u.parameters().get("h.0.mlp.c_fc.weight").shape()).containsExactly(16, 48);
        assertThat(u.parameters()).doesNotContainKey("wpe.weight");
    }

    @Test
    void perHeadWeightsAreViewsOfTheFusedMatrices() {
        GptConfig c = GptConfig.gpt2(20, 8, 8, 1, 2);
        Gpt m = Gpt.create(c, 4);
        Attention a = m.blocks[0].attn;
        Tensor cAttn = m.parameters().get("h.0.attn.c_attn.weight"), cProj = m.parameters().get("h.0.attn.c_proj.weight");
        assertThat(a.wQ(1).shape()).containsExactly(8, 4);
        assertThat(a.wK(1).get(3, 2)).isEqualTo(cAttn.get(3, 8 + 4 + 2));
        assertThat(a.wV(0).get(5, 1)).isEqualTo(cAttn.get(5, 16 + 1));
        assertThat(a.wO(1).shape()).containsExactly(4, 8);
        assertThat(a.wO(1).get(2, 7)).isEqualTo(cProj.get(6, 7));
        a.wQ(1).set(42f, 0, 0);   // writing through the view changes the model
        assertThat(cAttn.get(0, 4)).isEqualTo(42f);
        assertThat(a.wQ(1).data()).isSameAs(cAttn.data());
    }

    @Test
    void fromWeightsRoundTripsAndAcceptsTheTransformerPrefix() {
        GptConfig c = TinyModels.config(GptConfig.Positional.LEARNED, GptConfig.Norm.POST, GptConfig.Mlp.SWIGLU, false, 2);
        Gpt m = TinyModels.randomModel(c, 8);
        Map<String, Tensor> w = new LinkedHashMap<>();
        m.parameters().forEach((k, v) -> w.put("transformer." + k, v.copy()));
        w.put("transformer.h.0.attn.bias", Tensor.zeros(1, 1, 8, 8)); // HF's causal-mask buffer is ignored
        Gpt n = Gpt.fromWeights(c, w);
        int[] ids = TinyModels.tokens(9, 8, c.vocabSize());
        assertThat(n.logits(ids, 2, 4).maxAbsDiff(m.logits(ids, 2, 4))).isZero();
    }

    @Test
    void fromWeightsRejectsMissingMisshapenAndUnexpectedTensors() {
        GptConfig c = TinyModels.config(GptConfig.Positional.LEARNED, GptConfig.Norm.PRE, GptConfig.Mlp.GELU, true, 1);
        Map<String, Tensor> w = new LinkedHashMap<>(Gpt.create(c, 1).parameters());
        Map<String, Tensor> missing = new LinkedHashMap<>(w);
        missing.remove("h.0.ln_2.bias");
        assertThatThrownBy(() -> Gpt.fromWeights(c, missing)).isInstanceOf(LoupeException.class)
                .hasMessageContaining("'h.0.ln_2.bias' is missing");
        Map<String, Tensor> wrong = new LinkedHashMap<>(w);
        wrong.put("h.0.attn.c_attn.weight", Tensor.zeros(24, 8));
        assertThatThrownBy(() -> Gpt.fromWeights(c, wrong)).isInstanceOf(LoupeException.class)
                .hasMessageContaining("has shape [24, 8], expected [8, 24]");
        Map<String, Tensor> extra = new LinkedHashMap<>(w);
        extra.put("h.1.ln_1.weight", Tensor.zeros(8));
        assertThatThrownBy(() -> Gpt.fromWeights(c, extra)).isInstanceOf(LoupeException.class)
                .hasMessageContaining("unexpected tensor 'h.1.ln_1.weight'");
    }

    @Test
    void trainingIsDeterministicAndLowersTheLoss() {
        GptConfig c = TinyModels.config(GptConfig.Positional.LEARNED, GptConfig.Norm.PRE, GptConfig.Mlp.GELU, true, 2);
        float[] a = sgd(c), b = sgd(c);
        assertThat(a).containsExactly(b);
        assertThat(a[a.length - 1]).isLessThan(a[0] * 0.5f);
    }

    /** 30 steps of plain SGD memorising one batch; returns the losses. */
    private static float[] sgd(GptConfig c) {
        Gpt m = Gpt.create(c, 5);
        int[] ids = TinyModels.tokens(6, 2 * 6, c.vocabSize()), targets = TinyModels.tokens(7, 2 * 6, c.vocabSize());
        float[] losses = new float[30];
        for (int s = 0; s < losses.length; s++) {
            m.zeroGradients();
            losses[s] = m.forwardBackward(ids, targets, 2, 6);
            for (String k : m.parameters().keySet()) Ops.axpy(-1f, m.gradients().get(k), m.parameters().get(k));
        }
        return losses;
    }

    @Test
    void lossEqualsForwardBackwardLossAndLeavesGradientsAlone() {
        GptConfig c = TinyModels.config(GptConfig.Positional.SINUSOIDAL, GptConfig.Norm.POST, GptConfig.Mlp.RELU, false, 2);
        Gpt m = TinyModels.randomModel(c, 1);
        int[] ids = TinyModels.tokens(2, 10, c.vocabSize()), targets = TinyModels.tokens(3, 10, c.vocabSize());
        m.zeroGradients();
        float eval = m.loss(ids, targets, 2, 5);
        m.gradients().values().forEach(g -> assertThat(Ops.sumOfSquares(g)).isZero());
        assertThat(m.forwardBackward(ids, targets, 2, 5)).isEqualTo(eval);
        // A random model's loss is near ln V.
        assertThat(Gpt.create(c, 9).loss(ids, targets, 2, 5)).isCloseTo((float) Math.log(c.vocabSize()), org.assertj.core.data.Offset.offset(0.1f));
    }

    @Test
    void badTokenIdsAreClearErrors() {
        Gpt m = Gpt.create(TinyModels.config(GptConfig.Positional.NONE, GptConfig.Norm.PRE, GptConfig.Mlp.GELU, true, 1), 1);
        assertThatThrownBy(() -> m.logits(new int[] {1, 11}, 1, 2)).isInstanceOf(LoupeException.class)
                .hasMessageContaining("token id 11 is outside the vocabulary [0, 11)");
        assertThatThrownBy(() -> m.loss(new int[] {1, 2}, new int[] {1, -1}, 1, 2)).isInstanceOf(LoupeException.class)
                .hasMessageContaining("target token id -1");
    }

    static double std(Tensor t) {
        float[] v = t.toArray();
        double s = 0, ss = 0;
        for (float f : v) { s += f; ss += (double) f * f; }
        double mean = s / v.length;
        return Math.sqrt(ss / v.length - mean * mean);
    }
}
