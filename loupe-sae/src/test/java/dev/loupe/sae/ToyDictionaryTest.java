package dev.loupe.sae;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The standard toy check of dictionary learning: activations built from 48 known unit directions in
 * 24 dimensions (superposition: twice as many features as dimensions), about 1.4 of them active per
 * sample. An SAE with 96 latents trained on them must find the true directions: for at least 85 %
 * of the true features some decoder row has cosine similarity ≥ 0.9 with it. A broken gradient, a
 * transposed decoder or a missing b_dec leaves most cosines near the ~0.4 of random directions.
 */
class ToyDictionaryTest {

    @ParameterizedTest
    @EnumSource(value = Architecture.class, names = {"STANDARD", "TOPK"})
    void recoversTheTrueFeatures(Architecture arch) {
        SyntheticSource src = new SyntheticSource(24, 48, 0.03, 256, 7);
        SaeTrainingSettings s = new SaeTrainingSettings(arch, 96, 3, 3.0, 3e-3, 50, 200, 256L * 3000, 256, "none",
                200, 500, false, 1.0 / 32, "geometric_median", 0.9, 0.999, 1, 0);
        SaeTrainer t = SaeTrainer.start(s, src, SaeMetadata.of("toy", "blocks.0.hook_resid_post"));
        SaeTrainer.Progress last = null;
        while (!t.done()) last = t.trainStep();
        double[] cos = src.maxCosines(t.current());
        long found = Arrays.stream(cos).filter(c -> c >= 0.9).count();
        assertThat(found).as(arch + ": features recovered (cosines " + Arrays.toString(cos) + ", last " + last + ")")
                .isGreaterThanOrEqualTo((long) Math.ceil(0.85 * 48));
    }
}
