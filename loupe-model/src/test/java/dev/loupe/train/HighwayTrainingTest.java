package dev.loupe.train;

import dev.loupe.model.GptConfig;
import dev.loupe.model.HighwaySettings;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;

/**
 * Highway-gated models train like PyTorch: the 10-step AdamW loss trajectory equals
 * reference/torch_gpt.py's step by step, for the coupled highway form with vector gates and the
 * gated residual with scalar gates (gate bias −2, as created).
 */
class HighwayTrainingTest {
    static List<HighwaySettings> settings() {
        var both = EnumSet.allOf(HighwaySettings.Sublayer.class);
        return List.of(new HighwaySettings(both, HighwaySettings.Gate.VECTOR, HighwaySettings.Mode.HIGHWAY, -2f),
                new HighwaySettings(both, HighwaySettings.Gate.SCALAR, HighwaySettings.Mode.GATED_RESIDUAL, -2f));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("settings")
    void lossTrajectoryEqualsPyTorchStepByStep(HighwaySettings h, @TempDir Path dir) {
        GptConfig c = new GptConfig(37, 16, 32, 2, 4, 64, 1e-5f, true, GptConfig.Norm.PRE, GptConfig.Mlp.GELU,
                GptConfig.Positional.LEARNED).withHighway(h);
        GptTrainingTest.assertTrajectoryEqualsPyTorch(c, dir, 10, 2);
    }
}
