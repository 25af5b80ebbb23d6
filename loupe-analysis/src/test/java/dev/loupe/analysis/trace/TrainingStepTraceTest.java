package dev.loupe.analysis.trace;

import dev.loupe.model.Activations;
import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.train.AdamW;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The training-step trace against the model's own loss and backward pass and a real AdamW step.
 * Float32 tolerances: the loss and logit gradients are O(1) sums of a few terms (1e-5); the weight
 * gradient sums T products (1e-5 relative); AdamW's first step moves a weight by ≈ lr, and float32
 * rounding of θ (order 1) is 1e-7.
 */
class TrainingStepTraceTest {
    static final int[] IDS = {3, 7, 1, 7, 0};
    static final int[] TARGETS = {7, 1, 7, 0, 5};
    static final AdamW.Settings ADAM = new AdamW.Settings(0.9, 0.999, 1e-8, 0.1);
    static final double LR = 0.01;

    @ParameterizedTest
    @CsvSource({"PRE, true", "POST, false"})
    void lossGradientAndUpdateEqualTheModelsAndAdamWs(GptConfig.Norm norm, boolean tied) {
        Gpt gpt = RandomModels.of(RandomModels.config(11, norm, GptConfig.Mlp.GELU, GptConfig.Positional.LEARNED, tied), 9);
        TrainingStepTrace s = TrainingStepTrace.run(ForwardTrace.run(gpt, IDS, id -> "t" + id), TARGETS, ADAM, LR);
        assertThat(s.weightName()).isEqualTo(tied ? "wte.weight" : "lm_head.weight");
        if (tied) assertThat(IDS).doesNotContain(s.weightIndex()[0]);
        checkAgainstModel(gpt, s);
    }

    @Test
    void aTiedVocabularyAllInThePromptTracesTheFinalGainInstead() {
        Gpt gpt = RandomModels.of(RandomModels.config(4, GptConfig.Norm.PRE, GptConfig.Mlp.RELU, GptConfig.Positional.LEARNED, true), 3);
        int[] ids = {0, 1, 2, 3}, targets = {1, 2, 3, 0};
        TrainingStepTrace s = TrainingStepTrace.run(ForwardTrace.run(gpt, ids, id -> "t" + id), targets, ADAM, LR);
        assertThat(s.weightName()).isEqualTo("ln_f.weight");
        gpt.zeroGradients();
        float loss = gpt.forwardBackward(ids, targets, 1, ids.length);
        assertThat(s.loss()).isCloseTo(loss, within(1e-5));
        assertThat(s.gradient()).isCloseTo(gpt.gradients().get("ln_f.weight").get(s.weightIndex()), within(1e-5 * Math.max(1, Math.abs(s.gradient()))));
        new AdamW(gpt.parameters(), ADAM).step(LR, gpt.gradients());
        // a gain is not decayed: the step alone, ≈ lr against the gradient's sign
        assertThat(s.after() - s.before()).isCloseTo(-LR * Math.signum(s.gradient()), within(1e-6));
        assertThat(s.after()).isCloseTo(gpt.parameters().get("ln_f.weight").get(s.weightIndex()), within(1e-6));
    }

    @Test
    void finiteDifferencesAgreeWithTheAnalyticGradient() {
        Gpt gpt = RandomModels.of(RandomModels.config(11, GptConfig.Norm.PRE, GptConfig.Mlp.GELU, GptConfig.Positional.LEARNED, true), 4);
        TrainingStepTrace s = TrainingStepTrace.run(ForwardTrace.run(gpt, IDS, id -> "t" + id), TARGETS, ADAM, LR);
        TraceStep grad = s.steps().stream().filter(st -> st.title().equals("Gradient at the logits")).findFirst().orElseThrow();
        var check = grad.value("grad.fd_check").orElseThrow().value();
        assertThat(check.dim(0)).isGreaterThanOrEqualTo(2);
        for (int r = 0; r < check.dim(0); r++) {
            assertThat(check.get(r, 0)).isNotZero();
            assertThat(check.get(r, 2)).isLessThan(1e-7f);   // central differences in double: error O(ε²) ≈ 1e-8
        }
        // each row of p − onehot sums to 0
        for (double[] row : s.logitGradient()) assertThat(java.util.Arrays.stream(row).sum()).isCloseTo(0, within(1e-12));
    }

    static void checkAgainstModel(Gpt gpt, TrainingStepTrace s) {
        gpt.zeroGradients();
        float loss = gpt.forwardBackward(IDS, TARGETS, 1, IDS.length);
        assertThat(s.loss()).isCloseTo(loss, within(1e-5));
        Activations a = gpt.forward(IDS, 1, IDS.length);   // the workspace: logits were replaced by dL/dlogits
        double[][] dz = s.logitGradient();
        gpt.zeroGradients();
        gpt.forwardBackward(IDS, TARGETS, 1, IDS.length);
        for (int i = 0; i < dz.length; i++) {
            for (int j = 0; j < dz[0].length; j++) assertThat(dz[i][j]).isCloseTo(a.logits.get(i, j), within(1e-6));
        }
        float g = gpt.gradients().get(s.weightName()).get(s.weightIndex());
        assertThat(s.gradient()).isCloseTo(g, within(1e-5 * Math.max(1, Math.abs(g))));
        assertThat(s.before()).isEqualTo(gpt.parameters().get(s.weightName()).get(s.weightIndex()), within(0.0));
        new AdamW(gpt.parameters(), ADAM).step(LR, gpt.gradients());
        float updated = gpt.parameters().get(s.weightName()).get(s.weightIndex());
        assertThat(s.after()).isCloseTo(updated, within(1e-6));
        assertThat(Math.abs(s.after() - s.before())).isGreaterThan(LR / 2);   // the update is visible, not rounding
    }
}
