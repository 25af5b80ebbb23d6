package dev.loupe.train;

import dev.loupe.model.GptConfig;
import dev.loupe.model.MoeSettings;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.List;

/**
 * Mixture-of-experts models train like PyTorch: the 10-step AdamW trajectory (LM loss and learning
 * rate of every step) equals reference/torch_gpt.py's, whose autograd differentiates LM + aux + z
 * through its own index_select / index_add_ dispatch — so the aux and z gradients, the
 * renormalisation and capacity dropping are all part of what is compared.
 */
class MoeTrainingTest {
    static List<MoeSettings> settings() {
        return List.of(new MoeSettings(4, 2, 32, MoeSettings.Router.SOFTMAX_TOPK, 0.01f, 0.001f, null, null),
                new MoeSettings(4, 1, 32, MoeSettings.Router.TOPK_SOFTMAX, 0.1f, 0.01f, 1.0f, List.of(1)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("settings")
    void lossTrajectoryEqualsPyTorchStepByStep(MoeSettings moe, @TempDir Path dir) {
        GptConfig c = new GptConfig(37, 16, 32, 2, 4, 64, 1e-5f, true, GptConfig.Norm.PRE, GptConfig.Mlp.GELU,
                GptConfig.Positional.LEARNED).withMoe(moe);
        GptTrainingTest.assertTrajectoryEqualsPyTorch(c, dir, 10, 2);
    }
}
