package dev.loupe.model;

import dev.loupe.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.function.DoubleSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Op-by-op gradient checks, every element: each op's float32 backward, fed a random upstream
 * gradient R, against float64 central differences of {@code L = Σ R ⊙ op(x)} computed with the
 * {@link ReferenceGpt} twin of the op. Same tolerance argument as {@link GptGradientTest}: 2e-4 of
 * the largest gradient of the tensor, ~100× the float32 rounding of the analytic sums.
 */
class OpGradientTest {
    static final int N = 6, D = 8, H = 2;
    static final double STEP = 1e-5;

    @Test
    void linear() {
        Tensor x = rand(1, 1f, N, D), w = rand(2, 0.5f, D, 5), b = rand(3, 0.1f, 5), r = rand(4, 1f, N, 5);
        Linear op = new Linear(w, b, Tensor.zeros(D, 5), Tensor.zeros(5));
        Tensor y = Tensor.zeros(N, 5), dx = Tensor.zeros(N, D);
        op.forward(x, y);
        op.backward(r, x, dx);
        double[] xd = d(x), wd = d(w), bd = d(b);
        DoubleSupplier loss = () -> dot(r, ReferenceGpt.linear(rows(xd, N), wd, bd, 5));
        check("x", dx, xd, loss);
        check("W", op.dWeight, wd, loss);
        check("b", op.dBias, bd, loss);
    }

    @Test
    void layerNorm() {
        Tensor x = rand(5, 2f, N, D), g = rand(6, 0.3f, D), b = rand(7, 0.3f, D), r = rand(8, 1f, N, D);
        for (int i = 0; i < D; i++) g.set(1 + g.get(i), i);
        LayerNorm op = new LayerNorm(g, b, Tensor.zeros(D), Tensor.zeros(D), 1e-5f);
        Tensor y = Tensor.zeros(N, D), mean = Tensor.zeros(N), rstd = Tensor.zeros(N), dx = Tensor.zeros(N, D);
        op.forward(x, y, mean, rstd);
        op.backward(r, x, mean, rstd, dx);
        double[] xd = d(x), gd = d(g), bd = d(b);
        DoubleSupplier loss = () -> dot(r, ReferenceGpt.layerNorm(rows(xd, N), gd, bd, 1e-5));
        check("x", dx, xd, loss);
        check("γ", op.dWeight, gd, loss);
        check("β", op.dBias, bd, loss);
    }

    @Test
    void causalAttention() {
        int batch = 2, seq = 3;
        GptConfig c = new GptConfig(5, 8, D, 1, H, 4, 1e-5f, true, GptConfig.Norm.PRE, GptConfig.Mlp.NONE, GptConfig.Positional.NONE);
        Tensor x = rand(9, 1f, batch * seq, D), wa = rand(10, 0.6f, D, 3 * D), ba = rand(11, 0.1f, 3 * D);
        Tensor wp = rand(12, 0.4f, D, D), bp = rand(13, 0.1f, D), r = rand(14, 1f, batch * seq, D);
        Linear qkv = new Linear(wa, ba, Tensor.zeros(D, 3 * D), Tensor.zeros(3 * D));
        Linear proj = new Linear(wp, bp, Tensor.zeros(D, D), Tensor.zeros(D));
        Attention op = new Attention(qkv, proj, H);
        Block.State s = new Block.State(c, batch, seq, seq);
        Activations.Scratch g = new Activations.Scratch(c, batch, seq);
        Tensor out = Tensor.zeros(batch * seq, D), dx = Tensor.zeros(batch * seq, D);
        op.forward(x, s, batch, seq, null, 0, out);
        op.backward(r, x, s, batch, seq, g, dx);
        double[] xd = d(x), wad = d(wa), bad = d(ba), wpd = d(wp), bpd = d(bp);
        DoubleSupplier loss = () -> {
            double total = 0;
            for (int b = 0; b < batch; b++) {
                double[][] xs = new double[seq][D];
                for (int t = 0; t < seq; t++) System.arraycopy(xd, (b * seq + t) * D, xs[t], 0, D);
                double[][] y = ReferenceGpt.attention(xs, wad, bad, wpd, bpd, H);
                for (int t = 0; t < seq; t++) for (int j = 0; j < D; j++) total += r.get(b * seq + t, j) * y[t][j];
            }
            return total;
        };
        check("x", dx, xd, loss);
        check("c_attn.W", qkv.dWeight, wad, loss);
        check("c_attn.b", qkv.dBias, bad, loss);
        check("c_proj.W", proj.dWeight, wpd, loss);
        check("c_proj.b", proj.dBias, bpd, loss);
        // The pattern is causal and each row is a distribution.
        for (int t = 0; t < seq; t++) {
            double rowSum = 0;
            for (int u = 0; u < seq; u++) {
                float p = s.pattern.get(1, 1, t, u);
                if (u > t) assertThat(p).isZero();
                rowSum += p;
            }
            assertThat(rowSum).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-6));
        }
    }

    @ParameterizedTest
    @EnumSource(value = GptConfig.Mlp.class, names = {"GELU", "RELU", "SWIGLU"})
    void mlp(GptConfig.Mlp kind) {
        int dMlp = 7, hidden = kind == GptConfig.Mlp.SWIGLU ? 2 * dMlp : dMlp;
        Tensor x = rand(15, 1f, N, D), wf = rand(16, 0.6f, D, hidden), bf = rand(17, 0.2f, hidden);
        Tensor wp = rand(18, 0.4f, dMlp, D), bp = rand(19, 0.1f, D), r = rand(20, 1f, N, D);
        Mlp op = new Mlp(kind, new Linear(wf, bf, Tensor.zeros(D, hidden), Tensor.zeros(hidden)),
                new Linear(wp, bp, Tensor.zeros(dMlp, D), Tensor.zeros(D)));
        Tensor pre = Tensor.zeros(N, hidden), post = Tensor.zeros(N, dMlp), out = Tensor.zeros(N, D);
        Tensor dx = Tensor.zeros(N, D);
        op.forward(x, pre, post, out);
        op.backward(r, x, pre, post, Tensor.zeros(N, dMlp), Tensor.zeros(N, hidden), dx);
        double[] xd = d(x), wfd = d(wf), bfd = d(bf), wpd = d(wp), bpd = d(bp);
        DoubleSupplier loss = () -> dot(r, ReferenceGpt.mlp(kind, rows(xd, N), wfd, bfd, wpd, bpd, dMlp));
        check("x", dx, xd, loss);
        check("c_fc.W", op.fc.dWeight, wfd, loss);
        check("c_fc.b", op.fc.dBias, bfd, loss);
        check("c_proj.W", op.proj.dWeight, wpd, loss);
        check("c_proj.b", op.proj.dBias, bpd, loss);
    }

    @Test
    void embeddingScatterAddsRepeatedTokens() {
        Tensor wte = rand(21, 1f, 5, D), dWte = Tensor.zeros(5, D), r = rand(22, 1f, 4, D);
        Embedding op = new Embedding(wte, dWte);
        int[] ids = {3, 1, 3, 0};
        Tensor x = Tensor.zeros(4, D);
        op.forward(ids, x);
        op.backward(ids, r);
        double[] wd = d(wte);
        check("W_E", dWte, wd, () -> {
            double s = 0;
            for (int i = 0; i < ids.length; i++) for (int j = 0; j < D; j++) s += r.get(i, j) * wd[ids[i] * D + j];
            return s;
        });
        assertThat(dWte.get(2, 0)).isZero();
    }

    @Test
    void learnedPositionsSumOverTheBatch() {
        Tensor wpe = rand(23, 1f, 4, D), dWpe = Tensor.zeros(4, D), r = rand(24, 1f, 2 * 3, D);
        PositionalEncoding op = PositionalEncoding.learned(wpe, dWpe);
        op.backward(r, 2, 3);
        for (int t = 0; t < 3; t++)
            for (int j = 0; j < D; j++)
                assertThat(dWpe.get(t, j)).isCloseTo(r.get(t, j) + r.get(3 + t, j), org.assertj.core.data.Offset.offset(1e-6f));
        for (int j = 0; j < D; j++) assertThat(dWpe.get(3, j)).isZero();
    }

    @Test
    void sinusoidsFollowVaswani() {
        PositionalEncoding pe = PositionalEncoding.sinusoidal(50, 6);
        assertThat(pe.table.get(0, 0)).isZero();
        assertThat(pe.table.get(0, 1)).isEqualTo(1f);
        assertThat((double) pe.table.get(7, 2)).isCloseTo(Math.sin(7 / Math.pow(10000, 2.0 / 6)), org.assertj.core.data.Offset.offset(1e-6));
        assertThat((double) pe.table.get(49, 5)).isCloseTo(Math.cos(49 / Math.pow(10000, 4.0 / 6)), org.assertj.core.data.Offset.offset(1e-6));
    }

    @Test
    void unembeddingAndCrossEntropy() {
        int v = 7;
        Tensor x = rand(25, 1f, N, D), w = rand(26, 0.5f, v, D), dW = Tensor.zeros(v, D);
        int[] y = TinyModels.tokens(27, N, v);
        Unembedding op = new Unembedding(w, dW);
        Tensor logits = Tensor.zeros(N, v), dx = Tensor.zeros(N, D);
        op.forward(x, logits);
        float loss = CrossEntropy.lossAndGradient(logits, y);  // logits ← (p − onehot)/N
        op.backward(logits, x, dx);
        double[] xd = d(x), wd = d(w);
        DoubleSupplier ce = () -> {
            double total = 0;
            for (int t = 0; t < N; t++) {
                double[] z = new double[v];
                double max = Double.NEGATIVE_INFINITY, s = 0;
                for (int k = 0; k < v; k++) {
                    for (int j = 0; j < D; j++) z[k] += xd[t * D + j] * wd[k * D + j];
                    max = Math.max(max, z[k]);
                }
                for (int k = 0; k < v; k++) s += Math.exp(z[k] - max);
                total += Math.log(s) + max - z[y[t]];
            }
            return total / N;
        };
        assertThat((double) loss).isCloseTo(ce.getAsDouble(), org.assertj.core.data.Offset.offset(1e-5));
        check("x", dx, xd, ce);
        check("W_U", dW, wd, ce);
    }

    // ---------------------------------------------------------------- helpers

    /** Every element of the analytic gradient against the float64 central difference of {@code loss} in {@code p}. */
    static void check(String what, Tensor analytic, double[] p, DoubleSupplier loss) {
        float[] g = analytic.toArray();
        double[] fd = new double[p.length];
        double scale = 0;
        for (int i = 0; i < p.length; i++) {
            double saved = p[i];
            p[i] = saved + STEP;
            double plus = loss.getAsDouble();
            p[i] = saved - STEP;
            double minus = loss.getAsDouble();
            p[i] = saved;
            fd[i] = (plus - minus) / (2 * STEP);
            scale = Math.max(scale, Math.abs(fd[i]));
        }
        assertThat(scale).as("%s: gradient is not identically zero", what).isGreaterThan(1e-3);
        for (int i = 0; i < p.length; i++) {
            assertThat(Math.abs(g[i] - fd[i])).as("d/d %s[%d]: analytic %s vs finite difference %s", what, i, g[i], fd[i])
                    .isLessThanOrEqualTo(2e-4 * scale + 1e-7);
        }
    }

    static Tensor rand(long seed, float std, int... shape) {
        return Tensor.randn(seed, std, shape);
    }

    static double[] d(Tensor t) {
        float[] f = t.toArray();
        double[] out = new double[f.length];
        for (int i = 0; i < f.length; i++) out[i] = f[i];
        return out;
    }

    /** A live [n][len/n] view of a flat double array (copied each call: the FD loop perturbs the flat array). */
    static double[][] rows(double[] flat, int n) {
        int w = flat.length / n;
        double[][] r = new double[n][w];
        for (int i = 0; i < n; i++) System.arraycopy(flat, i * w, r[i], 0, w);
        return r;
    }

    static double dot(Tensor r, double[][] y) {
        double s = 0;
        for (int i = 0; i < y.length; i++) for (int j = 0; j < y[0].length; j++) s += r.get(i, j) * y[i][j];
        return s;
    }
}
