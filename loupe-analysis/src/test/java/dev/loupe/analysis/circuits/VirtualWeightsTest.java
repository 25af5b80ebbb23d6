package dev.loupe.analysis.circuits;

import dev.loupe.LoupeException;
import dev.loupe.analysis.interventions.TestModels;
import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.model.Mlp;
import dev.loupe.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class VirtualWeightsTest {

    @Test
    void virtualWeightIsWriterTimesReader() {
        Gpt gpt = TestModels.random(GptConfig.Norm.PRE, GptConfig.Mlp.GELU, 4);
        FactoredMatrix v = VirtualWeights.between(VirtualWeights.headOutput(gpt, 0, 1), VirtualWeights.key(gpt, 2, 2));
        Tensor wO = gpt.blocks[0].attn.wO(1), wK = gpt.blocks[2].attn.wK(2);
        assertThat(v.rows()).isEqualTo(4);
        assertThat(v.columns()).isEqualTo(4);
        Tensor m = v.materialize();
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++) {
                double s = 0;
                for (int k = 0; k < 12; k++) s += (double) wO.get(i, k) * wK.get(k, j);
                assertThat((double) m.get(i, j)).isCloseTo(s, org.assertj.core.data.Offset.offset(1e-5));
            }
        FactoredMatrix mlpToUnembed = VirtualWeights.between(VirtualWeights.mlpOutput(gpt, 1), VirtualWeights.unembedding(gpt));
        assertThat(mlpToUnembed.rows()).isEqualTo(20);
        assertThat(mlpToUnembed.columns()).isEqualTo(13);
    }

    @Test
    void aReaderCannotReadALaterWriter() {
        Gpt gpt = TestModels.random(GptConfig.Norm.PRE, GptConfig.Mlp.GELU, 4);
        assertThatThrownBy(() -> VirtualWeights.between(VirtualWeights.mlpOutput(gpt, 1), VirtualWeights.query(gpt, 1, 0)))
                .isInstanceOf(LoupeException.class).hasMessageContaining("before the reader");
    }

    @ParameterizedTest
    @EnumSource(value = GptConfig.Mlp.class, names = {"GELU", "RELU", "SWIGLU"})
    void linearisationMatchesAFiniteDifferenceJacobian(GptConfig.Mlp kind) {
        Gpt gpt = TestModels.random(GptConfig.Norm.PRE, kind, 6);
        Mlp mlp = gpt.blocks[1].mlp;
        int d = 12;
        Tensor x = Tensor.randn(99, 1f, d);
        Tensor j = MlpLinearisation.at(mlp, x).materialize();
        float eps = 1e-2f;
        double maxJ = 0, maxErr = 0;
        for (int i = 0; i < d; i++) {
            Tensor plus = x.copy(), minus = x.copy();
            plus.set(x.get(i) + eps, i);
            minus.set(x.get(i) - eps, i);
            float[] up = run(mlp, plus, kind), down = run(mlp, minus, kind);
            for (int k = 0; k < d; k++) {
                double fd = ((double) up[k] - down[k]) / (2 * eps);
                maxJ = Math.max(maxJ, Math.abs(fd));
                maxErr = Math.max(maxErr, Math.abs(fd - j.get(i, k)));
            }
        }
        // central differences: O(eps²) truncation plus float32 rounding / eps; a wrong φ' is off by O(maxJ)
        assertThat(maxJ).isGreaterThan(0.5);
        assertThat(maxErr).isLessThan(0.02 * maxJ);
    }

    private static float[] run(Mlp mlp, Tensor x, GptConfig.Mlp kind) {
        int hidden = mlp.fc.weight.dim(1), dMlp = mlp.proj.weight.dim(0);
        Tensor out = Tensor.zeros(1, 12);
        mlp.forward(x.reshape(1, 12), Tensor.zeros(1, hidden), Tensor.zeros(1, dMlp), out);
        return out.toArray();
    }
}
