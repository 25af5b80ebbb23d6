package dev.loupe.sae;

import dev.loupe.tensor.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link SaeStep}'s analytic gradients against central finite differences of its own loss, on
 * both paths. The loss is computed in float32, so h = 1e-2 on O(1) weights keeps the truncation
 * error (O(h²)) and the rounding error (~1e-7·loss/h) both near 1e-4 relative; the check allows 2 %
 * relative + 2e-3 absolute per coordinate, while a wrong term (a sign, a missing factor 2) is off by
 * 50 % or more. Coordinates whose perturbation flips a ReLU or a top-k choice are skipped (the loss
 * is not differentiable there): those are detected by the number of active latents changing or by
 * the one-sided slopes disagreeing (a top-k or AuxK choice that swaps latents).
 */
class SaeStepGradientTest {
    @AfterEach
    void reset() {
        SaeStep.forceDense = null;
    }

    @ParameterizedTest
    @CsvSource({"STANDARD,false", "STANDARD,true", "TOPK,false"})
    void gradientsMatchFiniteDifferences(Architecture arch, boolean dense) {
        SaeStep.forceDense = dense;
        SparseAutoencoder sae = SaeFixtures.random(arch, 5, 12, 3, 17);
        Tensor x = Tensor.randn(23, 1f, 7, 5);
        boolean[] dead = null; // AuxK's target e = x − x̂ is detached: its gradient is not the loss's derivative (see SaeStepTorchTest)
        SaeStep.Coefficients coef = new SaeStep.Coefficients(0.4, 0.25);
        Map<String, Tensor> grads = SaeStepTorchTest.zeroGrads(sae);
        SaeStep.run(sae, x, coef, dead, grads, null);
        Map<String, Tensor> params = Map.of("W_enc", sae.wEnc(), "b_enc", sae.bEnc(), "W_dec", sae.wDec(), "b_dec", sae.bDec());
        SplittableRandom rnd = new SplittableRandom(5);
        int checked = 0;
        for (String name : List.of("W_enc", "b_enc", "W_dec", "b_dec")) {
            Tensor p = params.get(name);
            for (int trial = 0; trial < 12; trial++) {
                int idx = rnd.nextInt(p.size());
                float keep = p.data()[idx];
                float h = 1e-2f;
                p.data()[idx] = keep + h;
                SaeLoss plus = SaeStep.run(sae, x, coef, dead, SaeStepTorchTest.zeroGrads(sae), null);
                p.data()[idx] = keep - h;
                SaeLoss minus = SaeStep.run(sae, x, coef, dead, SaeStepTorchTest.zeroGrads(sae), null);
                p.data()[idx] = keep;
                SaeLoss mid = SaeStep.run(sae, x, coef, dead, SaeStepTorchTest.zeroGrads(sae), null);
                double right = (plus.loss() - mid.loss()) / h, left = (mid.loss() - minus.loss()) / h;
                if (plus.l0() != mid.l0() || minus.l0() != mid.l0()
                        || Math.abs(right - left) > 0.1 * Math.abs(right + left) / 2 + 4e-3) continue; // crossed a kink
                double numeric = (plus.loss() - minus.loss()) / (2 * h);
                double analytic = grads.get(name).data()[idx];
                assertThat(analytic).as(name + "[" + idx + "]").isCloseTo(numeric,
                        org.assertj.core.api.Assertions.within(0.02 * Math.abs(numeric) + 2e-3));
                checked++;
            }
        }
        assertThat(checked).isGreaterThan(30);
    }
}
