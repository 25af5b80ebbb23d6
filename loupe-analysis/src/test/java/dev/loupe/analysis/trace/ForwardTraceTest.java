package dev.loupe.analysis.trace;

import dev.loupe.model.Activations;
import dev.loupe.model.Block;
import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Every number of the forward trace (plain double loops) against the model's own forward pass
 * (fast float32 kernels). Float32 rounding over sums of ≤ 20 terms of order-1 values stays below
 * 1e-5 relative; the tolerance 1e-4 · max(1, |values|) leaves room for the exp/tanh of the kernels.
 */
class ForwardTraceTest {
    static final int[] IDS = {3, 7, 1, 7, 0};

    @ParameterizedTest
    @CsvSource({"PRE, GELU, LEARNED, true", "POST, GELU, LEARNED, true", "PRE, RELU, SINUSOIDAL, false",
            "POST, SWIGLU, NONE, false", "PRE, NONE, LEARNED, true"})
    void everyMatrixEqualsTheModelsActivations(GptConfig.Norm norm, GptConfig.Mlp mlp, GptConfig.Positional pos, boolean tied) {
        Gpt gpt = RandomModels.of(RandomModels.config(11, norm, mlp, pos, tied), 5);
        ForwardTrace f = ForwardTrace.run(gpt, IDS, id -> "t" + id);
        Activations a = gpt.forward(IDS, 1, IDS.length);
        int d = gpt.config().dModel(), dk = gpt.config().dHead(), t = IDS.length;

        // embedding and positions, read straight from the weight tables
        for (int i = 0; i < t; i++) {
            for (int k = 0; k < d; k++) {
                assertThat(f.value("hook_embed")[i][k]).isEqualTo(gpt.embedding.weight.get(IDS[i], k), within(0.0));
            }
        }
        near(f, "blocks.0.hook_resid_pre", a.residual.pre(0));
        List<String> compared = new ArrayList<>(List.of("hook_embed", "blocks.0.hook_resid_pre"));
        for (int l = 0; l < gpt.blocks.length; l++) {
            String p = "blocks." + l + ".";
            Block.State s = a.blocks[l];
            boolean pre = norm == GptConfig.Norm.PRE;
            near(f, p + "ln1.mean", s.ln1Mean.reshape(t, 1));
            Tensor sigma = Tensor.zeros(t, 1);
            for (int i = 0; i < t; i++) sigma.set(1f / s.ln1Rstd.get(i), i, 0);
            near(f, p + "ln1.sigma", sigma);
            near(f, p + "ln1.hook_normalized", pre ? s.attnIn : s.residMid);
            for (int h = 0; h < gpt.config().nHead(); h++) {
                String hp = p + "attn.h" + h + ".";
                near(f, hp + "q", s.qkv.slice(1, h * dk, (h + 1) * dk));
                near(f, hp + "k", s.qkv.slice(1, d + h * dk, d + (h + 1) * dk));
                near(f, hp + "v", s.qkv.slice(1, 2 * d + h * dk, 2 * d + (h + 1) * dk));
                near(f, hp + "pattern", s.pattern.select(0, 0).select(0, h));
                near(f, hp + "z", s.z.slice(1, h * dk, (h + 1) * dk));
                double[][] scores = f.value(hp + "scores"), masked = f.value(hp + "masked"), sums = f.value(hp + "row_sums");
                for (int i = 0; i < t; i++) {
                    assertThat(sums[i][0]).isCloseTo(1.0, within(1e-12));
                    for (int j = 0; j < t; j++) {
                        double qk = 0;
                        for (int c = 0; c < dk; c++) qk += s.qkv.get(i, h * dk + c) * s.qkv.get(j, d + h * dk + c);
                        assertThat(scores[i][j]).isCloseTo(qk / Math.sqrt(dk), within(1e-4 * Math.max(1, Math.abs(qk))));
                        if (j > i) assertThat(masked[i][j]).isEqualTo(Double.NEGATIVE_INFINITY);
                        else assertThat(masked[i][j]).isEqualTo(scores[i][j]);
                    }
                }
                compared.addAll(List.of(hp + "q", hp + "k", hp + "v", hp + "pattern", hp + "z"));
            }
            near(f, p + "attn.hook_z", s.z);
            near(f, p + "hook_attn_out", s.attnOut);
            near(f, p + "hook_resid_mid", s.residMid);
            if (!pre) near(f, p + "attn_sum", s.attnSum);
            if (mlp != GptConfig.Mlp.NONE) {
                near(f, p + "ln2.mean", s.ln2Mean.reshape(t, 1));
                if (pre) near(f, p + "ln2.hook_normalized", s.mlpIn);
                else near(f, p + "mlp_sum", s.mlpSum);
                near(f, p + "mlp.hook_pre", s.mlpPre);
                near(f, p + "mlp.hook_post", s.mlpPost);
                near(f, p + "hook_mlp_out", s.mlpOut);
            }
            near(f, p + "hook_resid_post", a.residual.post(l));
        }
        near(f, "ln_final.hook_normalized", a.lnFinal);
        near(f, "logits", a.logits);
        float[] last = a.logits.select(0, t - 1).toArray();
        int best = 0;
        for (int j = 1; j < last.length; j++) if (last[j] > last[best]) best = j;
        assertThat(f.predicted()).isEqualTo(best);
        for (double[] row : f.probabilities()) assertThat(java.util.Arrays.stream(row).sum()).isCloseTo(1.0, within(1e-12));
        assertThat(f.keys()).containsAll(compared);
    }

    @Test
    void stepsAreNumberedInOrderAndPlaceLayerNormPerVariant() {
        for (GptConfig.Norm norm : GptConfig.Norm.values()) {
            Gpt gpt = RandomModels.of(RandomModels.config(11, norm, GptConfig.Mlp.GELU, GptConfig.Positional.LEARNED, true), 2);
            List<TraceStep> steps = ForwardTrace.run(gpt, IDS, id -> "t" + id).steps();
            for (int i = 0; i < steps.size(); i++) assertThat(steps.get(i).number()).isEqualTo(i + 1);
            List<String> titles = steps.stream().map(TraceStep::title).toList();
            if (norm == GptConfig.Norm.NONE) {
                assertThat(titles).noneMatch(title -> title.startsWith("LN") || title.contains("LayerNorm"));
                assertThat(titles.getLast()).isEqualTo("Softmax and the next token");
                continue;
            }
            int ln1 = indexOf(titles, "LN1, block 0"), q = indexOf(titles, "Queries, keys and values per head, block 0"),
                    add = indexOf(titles, "Residual add after attention, block 0");
            if (norm == GptConfig.Norm.PRE) assertThat(ln1).isLessThan(q);
            else assertThat(ln1).isGreaterThan(add);
            assertThat(titles.getLast()).isEqualTo("Softmax and the next token");
        }
    }

    @Test
    void theBuiltInModelPredictsWhatItWasTrainedOn() {
        Gpt gpt = TinyModel.create(GptConfig.Norm.PRE);
        ForwardTrace f = ForwardTrace.run(gpt, TinyModel.encode("the cat sat"), TinyModel::word);
        assertThat(TinyModel.word(f.predicted())).isEqualTo("on");
        assertThat(TinyModel.create(GptConfig.Norm.PRE).parameters().get("wte.weight").maxAbsDiff(gpt.parameters().get("wte.weight"))).isZero();
    }

    private static int indexOf(List<String> titles, String prefix) {
        for (int i = 0; i < titles.size(); i++) if (titles.get(i).startsWith(prefix)) return i;
        throw new AssertionError("no step " + prefix + " in " + titles);
    }

    private static void near(ForwardTrace f, String key, Tensor expected) {
        double[][] got = f.value(key);
        assertThat(got).as(key).isNotNull();
        assertThat(got.length).as(key + " rows").isEqualTo(expected.dim(0));
        double scale = 1;
        for (int i = 0; i < got.length; i++) for (int j = 0; j < got[0].length; j++) scale = Math.max(scale, Math.abs(expected.get(i, j)));
        for (int i = 0; i < got.length; i++) {
            assertThat(got[i].length).as(key + " columns").isEqualTo(expected.dim(1));
            for (int j = 0; j < got[0].length; j++) {
                assertThat(got[i][j]).as(key + "[" + i + ", " + j + "]").isCloseTo(expected.get(i, j), within(1e-4 * scale));
            }
        }
    }
}
