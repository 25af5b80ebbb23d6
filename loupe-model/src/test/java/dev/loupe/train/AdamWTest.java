package dev.loupe.train;

import dev.loupe.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class AdamWTest {

    /** The textbook formula in double, step by step, for one element. */
    private static double[] reference(double p, double[] grads, double lr, double b1, double b2, double eps, double wd) {
        double m = 0, v = 0;
        double[] out = new double[grads.length];
        for (int t = 1; t <= grads.length; t++) {
            double g = grads[t - 1];
            p *= 1 - lr * wd;
            m = b1 * m + (1 - b1) * g;
            v = b2 * v + (1 - b2) * g * g;
            double mHat = m / (1 - Math.pow(b1, t)), vHat = v / (1 - Math.pow(b2, t));
            p -= lr * mHat / (Math.sqrt(vHat) + eps);
            out[t - 1] = p;
        }
        return out;
    }

    @Test
    void matchesTheFormulaAndDecaysOnlyMatrices() {
        int n = 37; // not a multiple of the vector length: exercises the scalar tail
        Tensor w = Tensor.randn(1, 1f, n, 3), bias = Tensor.randn(2, 1f, n);
        Tensor w0 = w.copy(), b0 = bias.copy();
        Map<String, Tensor> params = new LinkedHashMap<>();
        params.put("h.0.mlp.c_fc.weight", w);
        params.put("h.0.mlp.c_fc.bias", bias);
        double lr = 3e-3, b1 = 0.9, b2 = 0.95, eps = 1e-8, wd = 0.1;
        AdamW opt = new AdamW(params, new AdamW.Settings(b1, b2, eps, wd));
        int steps = 5;
        Tensor[] gw = new Tensor[steps], gb = new Tensor[steps];
        for (int s = 0; s < steps; s++) {
            gw[s] = Tensor.randn(100 + s, 0.3f, n, 3);
            gb[s] = Tensor.randn(200 + s, 0.3f, n);
            Map<String, Tensor> grads = new LinkedHashMap<>();
            grads.put("h.0.mlp.c_fc.weight", gw[s]);
            grads.put("h.0.mlp.c_fc.bias", gb[s]);
            opt.step(lr, grads);
        }
        assertThat(opt.stepCount()).isEqualTo(steps);
        for (int i = 0; i < n * 3; i++) {
            double[] g = new double[steps];
            for (int s = 0; s < steps; s++) g[s] = gw[s].data()[i];
            double expected = reference(w0.data()[i], g, lr, b1, b2, eps, wd)[steps - 1];
            // float32 arithmetic over 5 steps of size ~lr: error ≪ 1e-6
            assertThat((double) w.data()[i]).isCloseTo(expected, within(1e-6));
        }
        for (int i = 0; i < n; i++) {
            double[] g = new double[steps];
            for (int s = 0; s < steps; s++) g[s] = gb[s].data()[i];
            double withoutDecay = reference(b0.data()[i], g, lr, b1, b2, eps, 0)[steps - 1];
            assertThat((double) bias.data()[i]).isCloseTo(withoutDecay, within(1e-6));
        }
        // decay must have made a difference for the weights: same formula without decay is off by ≈ lr·wd·p·steps
        double[] g0 = new double[steps];
        for (int s = 0; s < steps; s++) g0[s] = gw[s].data()[0];
        double noDecay = reference(w0.data()[0], g0, lr, b1, b2, eps, 0)[steps - 1];
        assertThat(Math.abs(w.data()[0] - noDecay)).isGreaterThan(1e-5);
    }

    @Test
    void decayAllDecaysBiasesAndGainsAsLlmcDoes() {
        int n = 37;
        Tensor bias = Tensor.randn(2, 1f, n);
        Tensor b0 = bias.copy();
        Map<String, Tensor> params = new LinkedHashMap<>();
        params.put("h.0.ln_1.bias", bias);
        double lr = 3e-3, b1 = 0.9, b2 = 0.95, eps = 1e-8, wd = 0.1;
        AdamW opt = new AdamW(params, new AdamW.Settings(b1, b2, eps, wd, true));
        assertThat(opt.decaysUnder("h.0.ln_1.bias", bias)).isTrue();
        assertThat(new AdamW(params, new AdamW.Settings(b1, b2, eps, wd)).decaysUnder("h.0.ln_1.bias", bias)).isFalse();
        Tensor g = Tensor.randn(7, 0.3f, n);
        for (int s = 0; s < 3; s++) opt.step(lr, Map.of("h.0.ln_1.bias", g));
        for (int i = 0; i < n; i++) {
            double[] gs = {g.data()[i], g.data()[i], g.data()[i]};
            assertThat((double) bias.data()[i]).isCloseTo(reference(b0.data()[i], gs, lr, b1, b2, eps, wd)[2], within(1e-6));
        }
    }

    @Test
    void restoredStateContinuesIdentically() {
        Map<String, Tensor> p1 = Map.of("w", Tensor.randn(3, 1f, 64, 65));
        Map<String, Tensor> p2 = Map.of("w", p1.get("w").copy());
        AdamW a = new AdamW(p1, new AdamW.Settings(0.9, 0.999, 1e-8, 0.01));
        AdamW b = new AdamW(p2, new AdamW.Settings(0.9, 0.999, 1e-8, 0.01));
        a.step(1e-2, Map.of("w", Tensor.randn(4, 1f, 64, 65)));
        b.step(1e-2, Map.of("w", Tensor.randn(4, 1f, 64, 65)));
        AdamW c = new AdamW(p2, new AdamW.Settings(0.9, 0.999, 1e-8, 0.01));
        c.restore(b.stepCount(), b.firstMoments(), b.secondMoments());
        a.step(1e-2, Map.of("w", Tensor.randn(5, 1f, 64, 65)));
        c.step(1e-2, Map.of("w", Tensor.randn(5, 1f, 64, 65)));
        assertThat(p2.get("w").toArray()).containsExactly(p1.get("w").toArray());
    }
}
