package dev.loupe.train;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loupe.model.AttentionKind;
import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.model.io.ModelDirectory;
import dev.loupe.model.io.TorchReference;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Linear and least-squares attention train like PyTorch: the 10-step AdamW loss trajectory equals
 * reference/torch_gpt.py's (quadratic form, resp. explicit solves with autograd) step by step.
 */
class AttentionKindTrainingTest {
    static List<AttentionKind> kinds() {
        return List.of(AttentionKind.linear(AttentionKind.FeatureMap.ELU1, true),
                AttentionKind.leastSquares(1f, false), AttentionKind.leastSquares(0.5f, true));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kinds")
    void lossTrajectoryEqualsPyTorchStepByStep(AttentionKind kind, @TempDir Path dir) {
        TorchReference.assumeAvailable();
        GptConfig c = new GptConfig(37, 16, 32, 2, 4, 64, 1e-5f, true, GptConfig.Norm.PRE, GptConfig.Mlp.GELU,
                GptConfig.Positional.LEARNED).withAttention(kind);
        Gpt model = Gpt.create(c, 3);
        ModelDirectory.write(dir, c, model.parameters());
        int[] tokens = TrainerTest.tokens(700, 5);
        for (int i = 0; i < tokens.length; i++) tokens[i] = (tokens[i] * 3 + i % 5) % c.vocabSize();
        int steps = 10;
        TrainingSettings s = new TrainingSettings(4, 16, steps, new LrSchedule(1e-2, 1e-3, 2, steps, LrSchedule.Kind.COSINE),
                new AdamW.Settings(0.9, 0.95, 1e-8, 0.1), 1.0, "sequential", 1, 0, 0, 0);
        JsonNode torch = TorchReference.train(dir, tokens, 4, 16, steps, "--lr", "1e-2", "--min-lr", "1e-3", "--warmup", "2",
                "--schedule", "cosine", "--weight-decay", "0.1", "--beta1", "0.9", "--beta2", "0.95", "--eps", "1e-8",
                "--grad-clip", "1.0");

        Trainer t = new Trainer(model, s, new TokenData(List.of(tokens), List.of()));
        t.run(new Trainer.Listener() {}, null);
        List<TrainingHistory.StepPoint> ours = t.history().steps();
        for (int i = 0; i < steps; i++) {
            // as GptTrainingTest: float32 with different summation orders, ~1e-6 per step
            assertThat((double) ours.get(i).loss()).as("%s step %d", kind.describe(), i + 1)
                    .isCloseTo(torch.get("losses").get(i).asDouble(), within(2e-4));
        }
        assertThat(ours.getLast().loss()).isLessThan(ours.getFirst().loss() - 0.2f);
    }
}
