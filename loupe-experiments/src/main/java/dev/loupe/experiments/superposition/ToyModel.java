package dev.loupe.experiments.superposition;

import dev.loupe.tensor.Tensor;
import dev.loupe.tensor.matmul.JavaMatmul;
import dev.loupe.tensor.matmul.MatmulBackend;

import java.util.SplittableRandom;

/**
 * The toy model of "Toy Models of Superposition" (Elhage et al. 2022): n features pass through m < n
 * hidden dimensions and back, x' = ReLU(WᵀW x + b) (or, as the control, the linear x' = WᵀW x + b),
 * with W ∈ R^{m×n} and b ∈ R^n, trained to minimise the importance-weighted reconstruction error
 * Σ_i I_i (x_i − x'_i)² (mean over the batch) with AdamW at a constant learning rate. Features are
 * sparse: x_i = 0 with probability S, else uniform in [0, 1], independently.
 *
 * <p>A step is five matrix products of the batch — H = X Wᵀ and H W for x', and Hᵀ G, G Wᵀ and dHᵀ X
 * for the gradients (G = dL/d(pre-activation)) — on {@link JavaMatmul}, whose results do not depend on
 * the thread count; for sparse features (S ≥ {@link #SPARSE_FROM}) the two products with X run over the
 * present features only. Small models train on one thread each, side by side ({@link Superposition}).
 * Everything — initialisation, data, updates — follows from the seed in a fixed order, so a model is
 * the same to the bit on every run.
 */
public final class ToyModel {
    /** Loupe's Vector API kernel, whatever backend the rest uses: the same numbers with or without a BLAS library. */
    private static final MatmulBackend GEMM = new JavaMatmul();

    /** From this sparsity on, the encoder and its gradient run over the present features only (fewer flops than a dense product). */
    static final double SPARSE_FROM = 0.5;

    private final int n, m;
    private final boolean relu;
    private final float[] w;          // [m, n] row-major: column i is feature i's direction W_i ∈ R^m
    private final float[] b;          // [n]
    private final float[] importance; // [n]

    /**
     * A freshly initialised model: W drawn from Xavier's normal N(0, 2/(n + m)) (PyTorch's
     * {@code xavier_normal_}), b = 0.
     */
    public ToyModel(int n, int m, float[] importance, boolean relu, SplittableRandom random) {
        if (m < 1 || n < 1 || importance.length != n) throw new IllegalArgumentException("need n, m ≥ 1 and n importances");
        this.n = n;
        this.m = m;
        this.relu = relu;
        this.importance = importance.clone();
        this.w = new float[m * n];
        this.b = new float[n];
        double std = Math.sqrt(2.0 / (n + m));
        for (int i = 0; i < w.length; i++) w[i] = (float) (Tensor.gaussian(random) * std);
    }

    /** Importances I_i = decay^i, i = 0 … n−1 (decay 1: uniform importance). */
    public static float[] importance(int n, double decay) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) out[i] = (float) Math.pow(decay, i);
        return out;
    }

    /** AdamW's settings: learning rate (constant), β1, β2, ε and decoupled weight decay (on W and b, as PyTorch's default param group). */
    public record Optimizer(double lr, double beta1, double beta2, double eps, double weightDecay) {
        /** PyTorch's {@code AdamW(lr=1e-3)} defaults: β (0.9, 0.999), ε 1e-8, weight decay 0.01. */
        public static Optimizer paper() {
            return new Optimizer(1e-3, 0.9, 0.999, 1e-8, 0.01);
        }
    }

    /**
     * Trains for {@code steps} steps on batches of {@code batch} fresh samples of sparsity {@code sparsity}
     * drawn from {@code random}; returns the loss of every step.
     */
    public float[] train(int steps, int batch, double sparsity, Optimizer opt, SplittableRandom random) {
        Batch x = new Batch(batch, sparsity);
        Adam state = new Adam();
        float[] losses = new float[steps];
        for (int t = 1; t <= steps; t++) {
            x.draw(random);
            losses[t - 1] = step(x, t, opt, state);
        }
        return losses;
    }

    /**
     * Trains on the given batches, {@code xs[t]} = X [B, n] of step t + 1 (for comparisons with a reference
     * implementation); {@code sparse} picks the sparse-input path. Returns the loss of every step.
     */
    float[] trainOn(float[][] xs, int batch, boolean sparse, Optimizer opt) {
        Batch x = new Batch(batch, sparse ? SPARSE_FROM : 0);
        Adam state = new Adam();
        float[] losses = new float[xs.length];
        for (int t = 1; t <= xs.length; t++) {
            x.set(xs[t - 1]);
            losses[t - 1] = step(x, t, opt, state);
        }
        return losses;
    }

    /** One AdamW step (the t-th) on batch x; returns its loss before the update. */
    private float step(Batch x, int t, Optimizer opt, Adam s) {
        float loss = (float) (forward(x) / x.rows);
        backward(x, 2f / x.rows, s.gw, s.gb);     // d/dx' of the batch mean of Σ_i I_i (x'_i − x_i)²
        adamw(w, s.gw, s.mw, s.vw, t, opt);
        adamw(b, s.gb, s.mb, s.vb, t, opt);
        return loss;
    }

    /** AdamW's gradients and moments of W and b. */
    private final class Adam {
        final float[] gw = new float[m * n], gb = new float[n];
        final float[] mw = new float[m * n], vw = new float[m * n], mb = new float[n], vb = new float[n];
    }

    /** The mean loss Σ_i I_i (x_i − x'_i)² over {@code batches} fresh batches of {@code batch} samples of sparsity {@code sparsity}. */
    public double loss(int batches, int batch, double sparsity, SplittableRandom random) {
        Batch x = new Batch(batch, sparsity);
        double loss = 0;
        for (int k = 0; k < batches; k++) {
            x.draw(random);
            loss += forward(x);
        }
        return loss / ((double) batches * batch);
    }

    /** x.h = X Wᵀ [B, m], x.pre = H W + b [B, n], x.out = x' (ReLU or linear); returns Σ over the batch of Σ_i I_i (x_i − x'_i)². */
    private double forward(Batch x) {
        int rows = x.rows;
        if (x.sparse) {   // H = X Wᵀ over the present features only: row s of H is Σ_q v_q W_{i_q}
            transpose(w, m, n, x.wt);
            java.util.Arrays.fill(x.h, 0f);
            for (int s = 0; s < rows; s++) {
                for (int q = x.start[s]; q < x.start[s + 1]; q++) {
                    int wo = x.col[q] * m, ho = s * m;
                    float v = x.val[q];
                    for (int r = 0; r < m; r++) x.h[ho + r] += v * x.wt[wo + r];
                }
            }
        } else {
            GEMM.sgemm(false, true, rows, m, n, 1f, x.x, 0, n, w, 0, n, 0f, x.h, 0, m);
        }
        GEMM.sgemm(false, false, rows, n, m, 1f, x.h, 0, m, w, 0, n, 0f, x.pre, 0, n);
        double loss = 0;
        for (int s = 0; s < rows; s++) {
            double row = 0;
            for (int j = 0, o = s * n; j < n; j++, o++) {
                float p = x.pre[o] + b[j];
                x.pre[o] = p;
                float out = relu ? Math.max(0f, p) : p, e = out - x.x[o];
                x.out[o] = out;
                row += importance[j] * e * e;
            }
            loss += row;
        }
        return loss;
    }

    /** Sets gw, gb to the gradient of (scale/2)·Σ over the batch of Σ_i I_i (x'_i − x_i)². */
    private void backward(Batch x, float scale, float[] gw, float[] gb) {
        int rows = x.rows;
        float[] g = x.g;   // dL/d pre [B, n]
        java.util.Arrays.fill(gb, 0f);
        for (int s = 0; s < rows; s++) {
            for (int j = 0, o = s * n; j < n; j++, o++) {
                float gj = relu && x.pre[o] <= 0 ? 0f : scale * importance[j] * (x.out[o] - x.x[o]);
                g[o] = gj;
                gb[j] += gj;
            }
        }
        GEMM.sgemm(true, false, m, n, rows, 1f, x.h, 0, m, g, 0, n, 0f, gw, 0, n);        // decoder: Hᵀ G
        GEMM.sgemm(false, true, rows, m, n, 1f, g, 0, n, w, 0, n, 0f, x.dh, 0, m);       // dL/dH = G Wᵀ
        if (x.sparse) {   // encoder: + dHᵀ X over the present features, accumulated as [n, m] and added transposed
            java.util.Arrays.fill(x.wt, 0f);
            for (int s = 0; s < rows; s++) {
                for (int q = x.start[s]; q < x.start[s + 1]; q++) {
                    int go = x.col[q] * m, ho = s * m;
                    float v = x.val[q];
                    for (int r = 0; r < m; r++) x.wt[go + r] += v * x.dh[ho + r];
                }
            }
            for (int i = 0; i < n; i++) for (int r = 0; r < m; r++) gw[r * n + i] += x.wt[i * m + r];
        } else {
            GEMM.sgemm(true, false, m, n, rows, 1f, x.dh, 0, m, x.x, 0, n, 1f, gw, 0, n);    // encoder: + dHᵀ X
        }
    }

    /** t [n, m] = a [m, n] transposed. */
    private static void transpose(float[] a, int m, int n, float[] t) {
        for (int r = 0; r < m; r++) for (int i = 0; i < n; i++) t[i * m + r] = a[r * n + i];
    }

    private static void adamw(float[] p, float[] g, float[] mom, float[] vel, int t, Optimizer o) {
        double c1 = 1 - Math.pow(o.beta1(), t), c2 = 1 - Math.pow(o.beta2(), t);
        float b1 = (float) o.beta1(), b2 = (float) o.beta2(), decay = (float) (1 - o.lr() * o.weightDecay());
        float step = (float) (o.lr() / c1), root = (float) (1 / Math.sqrt(c2)), eps = (float) o.eps();
        for (int i = 0; i < p.length; i++) {
            mom[i] = b1 * mom[i] + (1 - b1) * g[i];
            vel[i] = b2 * vel[i] + (1 - b2) * g[i] * g[i];
            p[i] = p[i] * decay - step * mom[i] / ((float) Math.sqrt(vel[i]) * root + eps);
        }
    }

    /** W as a tensor [m, n] (a copy). */
    public Tensor w() {
        return Tensor.of(w.clone(), m, n);
    }

    /** b as a tensor [n] (a copy). */
    public Tensor b() {
        return Tensor.of(b.clone(), n);
    }

    public int features() { return n; }

    public int hidden() { return m; }

    public boolean relu() { return relu; }

    /**
     * One batch: the inputs X [B, n], dense and, when sparse (S ≥ {@link #SPARSE_FROM}), also as its
     * present features (row s: col/val[start[s] … start[s+1])); and the activations and gradients of a step.
     */
    private final class Batch {
        final int rows;
        final boolean sparse;
        final SparseFeatures data;
        final int[] idx = new int[n], start, col;
        final float[] val, x, h, dh, pre, out, g, wt;

        Batch(int rows, double sparsity) {
            this.rows = rows;
            this.sparse = sparsity >= SPARSE_FROM;
            this.data = new SparseFeatures(n, sparsity);
            x = new float[rows * n];
            start = new int[rows + 1];
            col = new int[rows * n];
            val = new float[rows * n];
            h = new float[rows * m];
            dh = new float[rows * m];
            pre = new float[rows * n];
            out = new float[rows * n];
            g = new float[rows * n];
            wt = new float[n * m];
        }

        /** Fresh samples into X, sample by sample (the present features of each drawn in index order). */
        void draw(SplittableRandom r) {
            java.util.Arrays.fill(x, 0f);
            int q = 0;
            for (int s = 0; s < rows; s++) {
                start[s] = q;
                int k = data.sample(r, idx, val, q);
                for (int e = q; e < q + k; e++) {
                    col[e] = idx[e - q];
                    x[s * n + col[e]] = val[e];
                }
                q += k;
            }
            start[rows] = q;
        }

        /** X := dense [B, n], and its present features (the non-zero entries, in index order). */
        void set(float[] dense) {
            System.arraycopy(dense, 0, x, 0, x.length);
            int q = 0;
            for (int s = 0; s < rows; s++) {
                start[s] = q;
                for (int i = 0; i < n; i++) {
                    if (dense[s * n + i] != 0) {
                        col[q] = i;
                        val[q++] = dense[s * n + i];
                    }
                }
            }
            start[rows] = q;
        }
    }
}
