package dev.loupe.train;

import dev.loupe.model.AttentionKind;
import dev.loupe.model.GptConfig;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.List;

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
        GptConfig c = new GptConfig(37, 16, 32, 2, 4, 64, 1e-5f, true, GptConfig.Norm.PRE, GptConfig.Mlp.GELU,
                GptConfig.Positional.LEARNED).withAttention(kind);
        GptTrainingTest.assertTrajectoryEqualsPyTorch(c, dir, 10, 2);
    }
}
