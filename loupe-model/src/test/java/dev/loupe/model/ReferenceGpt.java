package dev.loupe.model;

import dev.loupe.tensor.Tensor;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A second, independent implementation of the GPT forward pass in plain float64 loops, for tests
 * only: one sequence at a time, position by position, every formula spelled out, the causal mask as
 * a loop bound. It defines the function the float32 model must compute, and its finite differences
 * (central, in double, step 1e-5: truncation error ~1e-10, rounding ~1e-11) are the "true" gradients
 * the analytic float32 backward is checked against.
 */
final class ReferenceGpt {
    final GptConfig c;
    /** Parameters in double, same names and layouts as {@link GptConfig#expectedShapes()}, row-major. */
    final Map<String, double[]> w = new LinkedHashMap<>();

    ReferenceGpt(GptConfig c, Map<String, Tensor> params) {
        this.c = c;
        params.forEach((k, t) -> {
            float[] f = t.toArray();
            double[] d = new double[f.length];
            for (int i = 0; i < f.length; i++) d[i] = f[i];
            w.put(k, d);
        });
    }

    /** Mean cross-entropy over B·T positions. */
    double loss(int[] ids, int[] targets, int batch, int seqLen) {
        double total = 0;
        for (int b = 0; b < batch; b++) {
            double[][] z = sequenceLogits(slice(ids, b * seqLen, seqLen));
            for (int t = 0; t < seqLen; t++) {
                double max = Double.NEGATIVE_INFINITY;
                for (double v : z[t]) max = Math.max(max, v);
                double s = 0;
                for (double v : z[t]) s += Math.exp(v - max);
                total += Math.log(s) + max - z[t][targets[b * seqLen + t]];
            }
        }
        return total / (batch * seqLen);
    }

    /** Logits [T][V] of one sequence. */
    double[][] sequenceLogits(int[] ids) {
        int T = ids.length, d = c.dModel(), V = c.vocabSize();
        double[][] x = new double[T][d];
        double[] wte = w.get("wte.weight");
        for (int t = 0; t < T; t++) {
            for (int j = 0; j < d; j++) x[t][j] = wte[ids[t] * d + j] + position(t, j);
        }
        for (int l = 0; l < c.nLayer(); l++) x = block(l, x);
        double[][] f = layerNorm(x, w.get("ln_f.weight"), w.get("ln_f.bias"), c.layerNormEps());
        double[] wu = c.tied() ? wte : w.get("lm_head.weight");
        double[][] z = new double[T][V];
        for (int t = 0; t < T; t++) {
            for (int v = 0; v < V; v++) {
                double s = 0;
                for (int j = 0; j < d; j++) s += f[t][j] * wu[v * d + j];
                z[t][v] = s;
            }
        }
        return z;
    }

    private double position(int t, int j) {
        int d = c.dModel();
        return switch (c.positional()) {
            case LEARNED -> w.get("wpe.weight")[t * d + j];
            case SINUSOIDAL -> {
                int i = j / 2;
                double angle = t / Math.pow(10000, 2.0 * i / d);
                yield j % 2 == 0 ? Math.sin(angle) : Math.cos(angle);
            }
            case NONE -> 0;
        };
    }

    private double[][] block(int l, double[][] x) {
        String p = "h." + l + ".";
        double eps = c.layerNormEps();
        boolean hasMlp = c.mlp() != GptConfig.Mlp.NONE;
        if (c.norm() != GptConfig.Norm.POST) {     // none: layerNorm() is the identity
            double[][] u = layerNorm(x, w.get(p + "ln_1.weight"), w.get(p + "ln_1.bias"), eps);
            double[][] mid = gated(x, attention(l, u), u, p + "attn_gate");
            if (!hasMlp) return mid;
            double[][] v = layerNorm(mid, w.get(p + "ln_2.weight"), w.get(p + "ln_2.bias"), eps);
            return gated(mid, mlp(l, v), v, p + "mlp_gate");
        }
        double[][] mid = layerNorm(add(x, attention(l, x)), w.get(p + "ln_1.weight"), w.get(p + "ln_1.bias"), eps);
        if (!hasMlp) return mid;
        return layerNorm(add(mid, mlp(l, mid)), w.get(p + "ln_2.weight"), w.get(p + "ln_2.bias"), eps);
    }

    /**
     * x + f, or with a highway gate under {@code gate} (e.g. "h.0.attn_gate") T = σ(u·W_T + b_T):
     * T⊙f + (1 − T)⊙x (highway) or x + T⊙f (gated_residual), a width-1 T broadcast over d.
     */
    private double[][] gated(double[][] x, double[][] f, double[][] u, String gate) {
        double[] wt = w.get(gate + ".weight");
        if (wt == null) return add(x, f);
        int d = x[0].length, width = wt.length / d;
        double[][] z = linear(u, wt, w.get(gate + ".bias"), width);
        boolean highway = c.highway().mode() == HighwaySettings.Mode.HIGHWAY;
        double[][] y = new double[x.length][d];
        for (int t = 0; t < x.length; t++) {
            for (int j = 0; j < d; j++) {
                double g = 1 / (1 + Math.exp(-z[t][width == 1 ? 0 : j]));
                y[t][j] = highway ? g * f[t][j] + (1 - g) * x[t][j] : x[t][j] + g * f[t][j];
            }
        }
        return y;
    }

    double[][] attention(int l, double[][] x) {
        String p = "h." + l + ".attn.";
        if (!c.attention().isSoftmax()) {
            double[] logAlpha = w.get(p + "ls_log_alpha");
            return kindAttention(c.attention(), x, w.get(p + "c_attn.weight"), w.get(p + "c_attn.bias"),
                    w.get(p + "c_proj.weight"), w.get(p + "c_proj.bias"), c.nHead(), logAlpha);
        }
        return attention(x, w.get(p + "c_attn.weight"), w.get(p + "c_attn.bias"), w.get(p + "c_proj.weight"),
                w.get(p + "c_proj.bias"), c.nHead());
    }

    double[][] mlp(int l, double[][] x) {
        String p = "h." + l + ".mlp.";
        return mlp(c.mlp(), x, w.get(p + "c_fc.weight"), w.get(p + "c_fc.bias"), w.get(p + "c_proj.weight"),
                w.get(p + "c_proj.bias"), c.dMlp());
    }

    // ---------------------------------------------------------------- the ops, in double

    /** Causal multi-head attention of one sequence x [T][d]. */
    static double[][] attention(double[][] x, double[] wAttn, double[] bAttn, double[] wProj, double[] bProj, int nHead) {
        int T = x.length, d = x[0].length, dh = d / nHead;
        double[][] qkv = linear(x, wAttn, bAttn, 3 * d);
        double[][] z = new double[T][d];
        for (int h = 0; h < nHead; h++) {
            for (int t = 0; t < T; t++) {
                double[] s = new double[t + 1];
                double max = Double.NEGATIVE_INFINITY;
                for (int u = 0; u <= t; u++) {
                    double dot = 0;
                    for (int i = 0; i < dh; i++) dot += qkv[t][h * dh + i] * qkv[u][d + h * dh + i];
                    s[u] = dot / Math.sqrt(dh);
                    max = Math.max(max, s[u]);
                }
                double sum = 0;
                for (int u = 0; u <= t; u++) sum += (s[u] = Math.exp(s[u] - max));
                for (int u = 0; u <= t; u++) {
                    for (int i = 0; i < dh; i++) z[t][h * dh + i] += s[u] / sum * qkv[u][2 * d + h * dh + i];
                }
            }
        }
        return linear(z, wProj, bProj, d);
    }

    /**
     * Linear or least-squares attention of one sequence x [T][d], in the quadratic / explicit-solve
     * form: linear A[t][s] = φ(q_t)·φ(k_s) (÷ (Σ_{s≤t} … + 1e-6) when normalised), z_t = Σ_s A[t][s] v_s;
     * least squares z_t = q_tᵀ X_t with X_t solving (αI + Σ_{s≤t} k_s k_sᵀ) X_t = Σ_{s≤t} k_s v_sᵀ by
     * Gaussian elimination. {@code logAlpha} [n_head] is the learned log α, else null.
     */
    static double[][] kindAttention(AttentionKind kind, double[][] x, double[] wAttn, double[] bAttn, double[] wProj,
                                    double[] bProj, int nHead, double[] logAlpha) {
        int T = x.length, d = x[0].length, dh = d / nHead;
        double[][] qkv = linear(x, wAttn, bAttn, 3 * d);
        double[][] z = new double[T][d];
        for (int h = 0; h < nHead; h++) {
            double[][] q = new double[T][dh], k = new double[T][dh], v = new double[T][dh];
            for (int t = 0; t < T; t++) {
                for (int i = 0; i < dh; i++) {
                    q[t][i] = qkv[t][h * dh + i];
                    k[t][i] = qkv[t][d + h * dh + i];
                    v[t][i] = qkv[t][2 * d + h * dh + i];
                }
            }
            double alpha = logAlpha != null ? Math.exp(logAlpha[h]) : kind.lsAlpha();
            double[][] zh = kind.kind() == AttentionKind.Kind.LINEAR ? linearAttention(kind, q, k, v) : leastSquares(q, k, v, alpha);
            for (int t = 0; t < T; t++) System.arraycopy(zh[t], 0, z[t], h * dh, dh);
        }
        return linear(z, wProj, bProj, d);
    }

    /** The mixing weights A [T][T] of linear attention (quadratic form). */
    static double[][] linearPattern(AttentionKind kind, double[][] q, double[][] k) {
        int T = q.length;
        double[][] a = new double[T][T];
        for (int t = 0; t < T; t++) {
            double sum = 0;
            for (int s = 0; s <= t; s++) {
                double dot = 0;
                for (int i = 0; i < q[0].length; i++) dot += phi(kind, q[t][i]) * phi(kind, k[s][i]);
                a[t][s] = dot;
                sum += dot;
            }
            if (kind.normalize()) for (int s = 0; s <= t; s++) a[t][s] /= sum + 1e-6;
        }
        return a;
    }

    static double phi(AttentionKind kind, double x) {
        return kind.featureMap() == AttentionKind.FeatureMap.IDENTITY ? x : x > 0 ? x + 1 : Math.exp(x);
    }

    static double[][] linearAttention(AttentionKind kind, double[][] q, double[][] k, double[][] v) {
        return matmul(linearPattern(kind, q, k), v);
    }

    /** out_t = q_tᵀ (αI + Σ_{s≤t} k_s k_sᵀ)⁻¹ Σ_{s≤t} k_s v_sᵀ, by an explicit solve per position. */
    static double[][] leastSquares(double[][] q, double[][] k, double[][] v, double alpha) {
        int T = q.length, dh = q[0].length;
        double[][] out = new double[T][dh];
        for (int t = 0; t < T; t++) {
            double[][] hm = new double[dh][dh], g = new double[dh][dh];
            for (int i = 0; i < dh; i++) hm[i][i] = alpha;
            for (int s = 0; s <= t; s++) {
                for (int i = 0; i < dh; i++) {
                    for (int j = 0; j < dh; j++) {
                        hm[i][j] += k[s][i] * k[s][j];
                        g[i][j] += k[s][i] * v[s][j];
                    }
                }
            }
            double[][] xs = solve(hm, g);
            for (int j = 0; j < dh; j++) {
                double sum = 0;
                for (int i = 0; i < dh; i++) sum += q[t][i] * xs[i][j];
                out[t][j] = sum;
            }
        }
        return out;
    }

    /** X with A X = B (A [n][n] invertible, B [n][m]) by Gaussian elimination with partial pivoting. */
    static double[][] solve(double[][] a, double[][] b) {
        int n = a.length, m = b[0].length;
        double[][] aa = new double[n][], bb = new double[n][];
        for (int i = 0; i < n; i++) {
            aa[i] = a[i].clone();
            bb[i] = b[i].clone();
        }
        for (int col = 0; col < n; col++) {
            int piv = col;
            for (int r = col + 1; r < n; r++) if (Math.abs(aa[r][col]) > Math.abs(aa[piv][col])) piv = r;
            double[] t = aa[col]; aa[col] = aa[piv]; aa[piv] = t;
            t = bb[col]; bb[col] = bb[piv]; bb[piv] = t;
            for (int r = col + 1; r < n; r++) {
                double f = aa[r][col] / aa[col][col];
                for (int c2 = col; c2 < n; c2++) aa[r][c2] -= f * aa[col][c2];
                for (int c2 = 0; c2 < m; c2++) bb[r][c2] -= f * bb[col][c2];
            }
        }
        double[][] xs = new double[n][m];
        for (int r = n - 1; r >= 0; r--) {
            for (int c2 = 0; c2 < m; c2++) {
                double s = bb[r][c2];
                for (int j = r + 1; j < n; j++) s -= aa[r][j] * xs[j][c2];
                xs[r][c2] = s / aa[r][r];
            }
        }
        return xs;
    }

    static double[][] matmul(double[][] a, double[][] b) {
        double[][] y = new double[a.length][b[0].length];
        for (int i = 0; i < a.length; i++)
            for (int k = 0; k < b.length; k++)
                for (int j = 0; j < b[0].length; j++) y[i][j] += a[i][k] * b[k][j];
        return y;
    }

    /** The MLP of one sequence x [T][d]. */
    static double[][] mlp(GptConfig.Mlp kind, double[][] x, double[] wFc, double[] bFc, double[] wProj, double[] bProj, int dMlp) {
        int T = x.length;
        double[][] pre = linear(x, wFc, bFc, kind == GptConfig.Mlp.SWIGLU ? 2 * dMlp : dMlp);
        double[][] post = new double[T][dMlp];
        for (int t = 0; t < T; t++) {
            for (int j = 0; j < dMlp; j++) {
                double a = pre[t][j];
                post[t][j] = switch (kind) {
                    case GELU -> 0.5 * a * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (a + 0.044715 * a * a * a)));
                    case RELU -> Math.max(0, a);
                    case SWIGLU -> a / (1 + Math.exp(-a)) * pre[t][dMlp + j];
                    case NONE -> throw new IllegalStateException();
                };
            }
        }
        return linear(post, wProj, bProj, x[0].length);
    }

    /** y = x·W + b, W [in, out] row-major. */
    static double[][] linear(double[][] x, double[] W, double[] b, int out) {
        int in = x[0].length;
        double[][] y = new double[x.length][out];
        for (int t = 0; t < x.length; t++) {
            for (int o = 0; o < out; o++) {
                double s = b == null ? 0 : b[o];   // no bias (attn_bias false)
                for (int i = 0; i < in; i++) s += x[t][i] * W[i * out + o];
                y[t][o] = s;
            }
        }
        return y;
    }

    static double[][] layerNorm(double[][] x, double[] g, double[] b, double eps) {
        if (g == null) return x;               // norm none: no LayerNorm tensors, the identity
        int d = x[0].length;
        double[][] y = new double[x.length][d];
        for (int t = 0; t < x.length; t++) {
            double mean = 0, var = 0;
            for (double v : x[t]) mean += v;
            mean /= d;
            for (double v : x[t]) var += (v - mean) * (v - mean);
            var /= d;
            double rstd = 1 / Math.sqrt(var + eps);
            for (int j = 0; j < d; j++) y[t][j] = (x[t][j] - mean) * rstd * g[j] + b[j];
        }
        return y;
    }

    static double[][] add(double[][] a, double[][] b) {
        double[][] y = new double[a.length][a[0].length];
        for (int t = 0; t < a.length; t++) for (int j = 0; j < a[0].length; j++) y[t][j] = a[t][j] + b[t][j];
        return y;
    }

    private static int[] slice(int[] a, int from, int n) {
        int[] r = new int[n];
        System.arraycopy(a, from, r, 0, n);
        return r;
    }
}
