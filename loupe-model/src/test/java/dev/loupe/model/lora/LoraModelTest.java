package dev.loupe.model.lora;

import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.tensor.Tensor;
import dev.loupe.train.AdamW;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LoraModelTest {
    static final GptConfig C = new GptConfig(13, 16, 16, 2, 2, 32, 1e-5f, true, GptConfig.Norm.PRE, GptConfig.Mlp.GELU,
            GptConfig.Positional.LEARNED);
    static final LoraConfig ALL = LoraConfig.of(4, 8, 0.0, List.of("c_attn", "c_proj", "c_fc"), "tiny");
    static final int[] IDS = {1, 5, 2, 7, 7, 3, 12, 0, 4, 9};

    static Gpt base() {
        Gpt g = Gpt.create(C, 3);
        SplittableRandom r = new SplittableRandom(4);
        for (Tensor t : g.parameters().values()) {
            float[] d = t.contiguousData();
            for (int i = 0; i < d.length; i++) d[i] += (float) (0.2 * Tensor.gaussian(r));
        }
        return g;
    }

    static void randomizeB(LoraModel m, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        for (LoraAdapter a : m.adapters().values()) {
            float[] d = a.b.contiguousData();
            for (int i = 0; i < d.length; i++) d[i] = (float) (0.2 * Tensor.gaussian(r));
        }
    }

    @Test
    void atStepZeroTheAdaptedModelIsExactlyTheBaseModel() {
        Gpt base = base();
        LoraModel m = LoraModel.create(C, base.parameters(), ALL, 1);
        assertThat(m.model().logits(IDS, 1, IDS.length).toArray()).containsExactly(base.logits(IDS, 1, IDS.length).toArray());
        // A is Kaiming-uniform (a = √5): U(−1/√in, 1/√in), not zero; B is zero
        LoraAdapter qkv = m.adapters().get("h.0.attn.c_attn");
        float bound = (float) (1 / Math.sqrt(16));
        float max = 0;
        for (float v : qkv.a.toArray()) max = Math.max(max, Math.abs(v));
        assertThat(max).isLessThanOrEqualTo(bound).isGreaterThan(0.8f * bound);
        assertThat(qkv.b.toArray()).containsOnly(0f);
    }

    @Test
    void targetModulesFollowPeftSuffixMatching() {
        assertThat(ALL.modulePaths(C)).containsExactly("h.0.attn.c_attn", "h.0.attn.c_proj", "h.0.mlp.c_fc", "h.0.mlp.c_proj",
                "h.1.attn.c_attn", "h.1.attn.c_proj", "h.1.mlp.c_fc", "h.1.mlp.c_proj");
        assertThat(LoraConfig.of(2, 2, 0, List.of("c_attn"), "").modulePaths(C)).containsExactly("h.0.attn.c_attn", "h.1.attn.c_attn");
        assertThat(new LoraConfig(2, 2, 0, List.of(), ".*\\.1\\.mlp\\.c_proj", false, "").modulePaths(C)).containsExactly("h.1.mlp.c_proj");
        assertThatThrownBy(() -> LoraConfig.of(2, 2, 0, List.of("q_proj"), "").modulePaths(C)).hasMessageContaining("matches no module");
    }

    @Test
    void onlyTheAdaptersAreTrainedAndOptimized() {
        Gpt base = base();
        Map<String, float[]> before = new java.util.HashMap<>();
        base.parameters().forEach((k, v) -> before.put(k, v.toArray()));
        LoraModel m = LoraModel.create(C, base.parameters(), ALL, 1);
        assertThat(m.model().gradients()).isEmpty();
        assertThat(m.parameters()).hasSize(16).allSatisfy((k, v) -> assertThat(k).startsWith("base_model.model.transformer.h."));
        AdamW opt = new AdamW(m.parameters(), new AdamW.Settings(0.9, 0.95, 1e-8, 0.0));
        assertThat(opt.firstMoments().keySet()).isEqualTo(m.parameters().keySet());
        int[] targets = {5, 2, 7, 7, 3, 12, 0, 4, 9, 1};
        float first = 0, last = 0;
        for (int s = 0; s < 30; s++) {
            m.zeroGradients();
            float loss = m.forwardBackward(IDS, targets, 1, IDS.length);
            if (s == 0) first = loss;
            last = loss;
            opt.step(1e-2, m.gradients());
        }
        assertThat(last).as("the adapters learn").isLessThan(first - 0.1f);
        base.parameters().forEach((k, v) -> assertThat(v.toArray()).as("frozen %s", k).containsExactly(before.get(k)));
    }

    @Test
    void mergedWeightsGiveTheAdaptedLogits() {
        Gpt base = base();
        LoraModel m = LoraModel.create(C, base.parameters(), ALL, 1);
        randomizeB(m, 8);
        Tensor adapted = m.model().logits(IDS, 1, IDS.length);
        Tensor merged = Gpt.fromWeights(C, m.mergedWeights()).logits(IDS, 1, IDS.length);
        assertThat(adapted.maxAbsDiff(base.logits(IDS, 1, IDS.length))).as("the update changes the logits").isGreaterThan(1e-2f);
        assertThat(merged.maxAbsDiff(adapted)).isLessThanOrEqualTo(1e-5f);
    }

    @Test
    void dropoutTrainsOnlyWhileTrainingAndRepeatsOnResume() {
        Gpt base = base();
        LoraConfig drop = LoraConfig.of(4, 8, 0.5, List.of("c_attn"), "");
        LoraModel m = LoraModel.create(C, base.parameters(), drop, 1);
        randomizeB(m, 8);
        LoraModel n = LoraModel.create(C, base.parameters(), drop, 1);
        randomizeB(n, 8);
        int[] targets = {5, 2, 7, 7, 3, 12, 0, 4, 9, 1};
        m.forwardBackward(IDS, targets, 1, IDS.length);
        float second = m.forwardBackward(IDS, targets, 1, IDS.length);
        n.seekPass(1);
        assertThat(n.forwardBackward(IDS, targets, 1, IDS.length)).as("pass 1 draws the same masks").isEqualTo(second);
        float eval = m.loss(IDS, targets, 1, IDS.length);
        assertThat(eval).as("no dropout at evaluation").isEqualTo(m.loss(IDS, targets, 1, IDS.length));
        assertThat(second).isNotEqualTo(eval);
    }
}
