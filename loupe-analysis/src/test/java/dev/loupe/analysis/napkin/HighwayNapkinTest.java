package dev.loupe.analysis.napkin;

import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.model.HighwaySettings;
import dev.loupe.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.EnumSet;

import static org.assertj.core.api.Assertions.assertThat;

/** Napkin math counts highway gates: W_T [d, w] and b_T [w] per gated sublayer, as the model stores them, and their FLOPs. */
class HighwayNapkinTest {
    @Test
    void parameterCountEqualsTheStoredTensorsAndFlopsGrowByTheGateMatmuls() {
        GptConfig plain = new GptConfig(65, 32, 64, 6, 4, 256, 1e-5f, true, GptConfig.Norm.PRE, GptConfig.Mlp.GELU,
                GptConfig.Positional.LEARNED);
        ParameterCount base = ParameterCount.of(Architecture.of("plain", plain));
        for (HighwaySettings.Gate g : HighwaySettings.Gate.values()) {
            for (var subs : java.util.List.of(EnumSet.allOf(HighwaySettings.Sublayer.class), EnumSet.of(HighwaySettings.Sublayer.MLP))) {
                GptConfig c = plain.withHighway(new HighwaySettings(subs, g, HighwaySettings.Mode.HIGHWAY, -2f));
                ParameterCount p = ParameterCount.of(Architecture.of("hw", c));
                long stored = 0;
                for (Tensor t : Gpt.create(c, 1).parameters().values()) stored += t.size();
                assertThat(p.total()).as("%s %s", g, subs).isEqualTo(stored).isEqualTo(c.parameterCount());
                long w = g == HighwaySettings.Gate.VECTOR ? 64 : 1;
                assertThat(p.gatePerLayer()).isEqualTo(subs.size() * (64 * w + w));
                assertThat(p.total() - base.total()).isEqualTo(6 * p.gatePerLayer());
                // forward FLOPs: 2 per weight a token multiplies with, biases included as the other layers' are
                assertThat(Flops.kaplan(p).forwardPerToken() - Flops.kaplan(base).forwardPerToken())
                        .isEqualTo(2.0 * 6 * p.gatePerLayer());
            }
        }
    }
}
