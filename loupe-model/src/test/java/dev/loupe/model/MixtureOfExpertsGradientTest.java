package dev.loupe.model;

import dev.loupe.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The mixture's backward against central finite differences of the scalar
 * L(u, θ) = Σ dout ⊙ MoE(u) + aux + z, for the input u, the router W_gate and every expert tensor
 * (every element of each). The gradient flows through the kept-weight renormalisation, the softmax,
 * the aux loss (through P_e) and the z-loss.
 *
 * <p>Tolerance: the forward is float32, so L carries ~1e-6 of rounding; with step h = 1e-2 the
 * central difference has rounding error ~1e-4 and truncation error ~h²·|L'''| ~ 1e-4 (weights O(0.4),
 * smooth activations). 3e-3 of the tensor's largest gradient plus 3e-4 absolute is ten times that,
 * while a missing term (the renormalisation, the aux or z gradient, a dropped 1/N) changes entries by
 * the order of the gradient. An element whose ±h perturbation changes the routing (a top-k boundary,
 * where L jumps) is skipped; ReLU experts are left out for their kinks.
 */
class MixtureOfExpertsGradientTest {
    static final int N = 13, D = 8;
    static final float H = 1e-2f;

    static List<GptConfig> configs() {
        return List.of(
                MoeModels.config(GptConfig.Mlp.GELU, MoeModels.settings(MoeSettings.Router.SOFTMAX_TOPK)),
                MoeModels.config(GptConfig.Mlp.SWIGLU, MoeModels.settings(MoeSettings.Router.TOPK_SOFTMAX)),
                MoeModels.config(GptConfig.Mlp.GELU, new MoeSettings(4, 1, 6, MoeSettings.Router.SOFTMAX_TOPK, 0.5f, 0.05f, null, null)),
                MoeModels.config(GptConfig.Mlp.GELU, new MoeSettings(4, 3, 6, MoeSettings.Router.SOFTMAX_TOPK, 0f, 0f, null, null)));
    }

    @ParameterizedTest(name = "{index}: {0}")
    @MethodSource("configs")
    void backwardEqualsFiniteDifferences(GptConfig c) {
        Gpt m = TinyModels.randomModel(c, 17);
        MixtureOfExperts moe = m.mixture(0);
        Tensor u = Tensor.randn(4, 1f, N, D), dout = Tensor.randn(5, 1f, N, D);
        m.zeroGradients();
        moe.forward(u, Tensor.zeros(N, D));
        Tensor du = Tensor.zeros(N, D);
        moe.backward(dout, u, du);

        List<String> names = new ArrayList<>();
        names.add("h.0.mlp.gate.weight");
        for (int e = 0; e < 4; e++) {
            for (String t : new String[] {"c_fc.weight", "c_fc.bias", "c_proj.weight", "c_proj.bias"}) names.add("h.0.mlp.experts." + e + "." + t);
        }
        Map<String, Tensor> params = m.parameters(), grads = m.gradients();
        int checked = 0;
        for (String name : names) checked += check(name, params.get(name), grads.get(name), moe, u, dout);
        checked += check("u", u, du, moe, u, dout);
        assertThat(checked).isGreaterThan(400);
    }

    /** Compares one tensor's analytic gradient with central differences; returns the elements checked. */
    private static int check(String name, Tensor param, Tensor grad, MixtureOfExperts moe, Tensor u, Tensor dout) {
        float[] p = param.data(), g = grad.toArray();
        double[] fd = new double[p.length];
        boolean[] smooth = new boolean[p.length];
        double scale = 0;
        for (int i = 0; i < p.length; i++) {
            float saved = p[i];
            p[i] = saved + H;
            double plus = objective(moe, u, dout);
            int[] routePlus = moe.lastRouting().indices();
            p[i] = saved - H;
            double minus = objective(moe, u, dout);
            int[] routeMinus = moe.lastRouting().indices();
            p[i] = saved;
            smooth[i] = java.util.Arrays.equals(routePlus, routeMinus);
            fd[i] = (plus - minus) / (2 * H);
            if (smooth[i]) scale = Math.max(scale, Math.abs(fd[i]));
        }
        double tol = 3e-3 * scale + 3e-4;
        int n = 0;
        for (int i = 0; i < p.length; i++) {
            if (!smooth[i]) continue;
            n++;
            assertThat(Math.abs(g[i] - fd[i])).as("d L / d %s[%d]: analytic %s, finite difference %s", name, i, g[i], fd[i])
                    .isLessThanOrEqualTo(tol);
        }
        return n;
    }

    /** Σ dout ⊙ MoE(u) + aux + z, accumulated in double. */
    private static double objective(MixtureOfExperts moe, Tensor u, Tensor dout) {
        Tensor out = Tensor.zeros(N, D);
        moe.forward(u, out);
        double s = 0;
        float[] o = out.data(), d = dout.data();
        for (int i = 0; i < o.length; i++) s += (double) o[i] * d[i];
        return s + moe.auxLoss() + moe.zLoss();
    }
}
