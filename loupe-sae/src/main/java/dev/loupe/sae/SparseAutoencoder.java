package dev.loupe.sae;

import dev.loupe.LoupeException;
import dev.loupe.tensor.Parallel;
import dev.loupe.tensor.Tensor;
import dev.loupe.tensor.matmul.Matmul;

import java.util.Arrays;

/**
 * A sparse autoencoder (dictionary) over one hook point's activations, with SAELens' weights and
 * semantics:
 * <pre>
 *   x'  = s·x − b_dec·[apply_b_dec_to_input]          // [N, d_in], s = input scale (1 unless normalising)
 *   pre = x'·W_enc + b_enc                             // [N, d_sae]  (hook_sae_acts_pre)
 *   f   = σ(pre)                                        // [N, d_sae]  (hook_sae_acts_post)
 *   x̂  = (f·W_dec + b_dec) / s                          // [N, d_in]   (hook_sae_recons)
 * </pre>
 * with σ = ReLU (standard), TopK-then-ReLU (topk) or ReLU(pre)·[pre &gt; θ] (jumprelu).
 * W_enc is [d_in, d_sae], W_dec is [d_sae, d_in]: row i of W_dec is feature i's direction.
 *
 * <p>The input scale s is the constant of {@code normalize_activations = expected_average_only_in}
 * while training; {@link #folded()} moves it into the weights (W_enc·s, W_dec/s, b_dec/s), as
 * SAELens does before saving, so that saved files apply to raw activations. Inputs may have any
 * leading shape [..., d_in]; outputs keep it.
 *
 * <p>The weight tensors are live (a trainer updates them in place); this class never copies them.
 */
public final class SparseAutoencoder {
    private final SaeConfig config;
    private final Tensor wEnc; // [d_in, d_sae]
    private final Tensor bEnc; // [d_sae]
    private final Tensor wDec; // [d_sae, d_in]
    private final Tensor bDec; // [d_in]
    private final Tensor threshold; // [d_sae], jumprelu only
    private final float inputScale;

    private SparseAutoencoder(SaeConfig config, Tensor wEnc, Tensor bEnc, Tensor wDec, Tensor bDec, Tensor threshold,
                              float inputScale) {
        this.config = config;
        this.wEnc = wEnc;
        this.bEnc = bEnc;
        this.wDec = wDec;
        this.bDec = bDec;
        this.threshold = threshold;
        this.inputScale = inputScale;
    }

    /**
     * An SAE from its weights (kept, not copied); shapes are checked against {@code config} and
     * every weight must be finite. {@code threshold} is required for jumprelu and ignored otherwise.
     *
     * @throws LoupeException naming the tensor when a shape is wrong or a value is NaN/Inf
     */
    public static SparseAutoencoder of(SaeConfig config, Tensor wEnc, Tensor bEnc, Tensor wDec, Tensor bDec,
                                       Tensor threshold) {
        return of(config, wEnc, bEnc, wDec, bDec, threshold, 1f);
    }

    /** As {@link #of(SaeConfig, Tensor, Tensor, Tensor, Tensor, Tensor)} with an input scale s (see the class comment). */
    public static SparseAutoencoder of(SaeConfig config, Tensor wEnc, Tensor bEnc, Tensor wDec, Tensor bDec,
                                       Tensor threshold, float inputScale) {
        int dIn = config.dIn(), dSae = config.dSae();
        check("W_enc", wEnc, dIn, dSae);
        check("b_enc", bEnc, dSae);
        check("W_dec", wDec, dSae, dIn);
        check("b_dec", bDec, dIn);
        if (config.architecture() == Architecture.JUMPRELU) {
            if (threshold == null) throw new LoupeException("a jumprelu SAE needs a 'threshold' tensor [" + dSae + "]");
            check("threshold", threshold, dSae);
        } else {
            threshold = null;
        }
        if (!(inputScale > 0) || Float.isInfinite(inputScale)) {
            throw new LoupeException("SAE input scale must be a positive finite number, got " + inputScale);
        }
        return new SparseAutoencoder(config, wEnc.contiguous(), bEnc.contiguous(), wDec.contiguous(), bDec.contiguous(),
                threshold == null ? null : threshold.contiguous(), inputScale);
    }

    private static void check(String name, Tensor t, int... shape) {
        if (t == null) throw new LoupeException("SAE tensor '" + name + "' is missing (expected shape " + Arrays.toString(shape) + ")");
        if (!Arrays.equals(t.shape(), shape)) {
            throw new LoupeException("SAE tensor '" + name + "' has shape " + Arrays.toString(t.shape())
                    + ", expected " + Arrays.toString(shape));
        }
        float[] a = t.contiguous().data();
        int off = t.contiguous().offset();
        for (int i = 0; i < t.size(); i++) {
            if (!Float.isFinite(a[off + i])) {
                throw new LoupeException("SAE tensor '" + name + "' holds " + a[off + i] + " at flat index " + i
                        + " (weights must be finite)");
            }
        }
    }

    // ---------------------------------------------------------------- accessors

    public SaeConfig config() { return config; }

    public Architecture architecture() { return config.architecture(); }

    public int dIn() { return config.dIn(); }

    public int dSae() { return config.dSae(); }

    /** W_enc [d_in, d_sae] (live). */
    public Tensor wEnc() { return wEnc; }

    /** b_enc [d_sae] (live). */
    public Tensor bEnc() { return bEnc; }

    /** W_dec [d_sae, d_in] (live): row i is feature i's direction in activation space. */
    public Tensor wDec() { return wDec; }

    /** b_dec [d_in] (live). */
    public Tensor bDec() { return bDec; }

    /** JumpReLU thresholds [d_sae], or null for the other architectures. */
    public Tensor threshold() { return threshold; }

    /** The input scale s (1 unless training with normalised activations; see {@link #folded()}). */
    public float inputScale() { return inputScale; }

    // ---------------------------------------------------------------- forward

    /** The three tensors of one forward pass, each [N, ·] with N = the number of input rows. */
    public record Forward(Tensor pre, Tensor acts, Tensor recons) {}

    /** x' = s·x − b_dec·[apply_b_dec_to_input] as a new [N, d_in] tensor (SAELens' process_sae_in). */
    public Tensor processInput(Tensor x) {
        Tensor rows = rows(x);
        int n = rows.dim(0), d = dIn();
        Tensor out = Tensor.zeros(n, d);
        float[] src = rows.data(), dst = out.data(), b = bDec.data();
        int so = rows.offset(), bo = bDec.offset();
        boolean sub = config.applyBDecToInput();
        float s = inputScale;
        Parallel.forRange(n, 64, (from, to) -> {
            for (int r = from; r < to; r++) {
                for (int j = 0; j < d; j++) dst[r * d + j] = s * src[so + r * d + j] - (sub ? b[bo + j] : 0f);
            }
        });
        return out;
    }

    /** pre = x'·W_enc + b_enc [N, d_sae] from an already processed input x' [N, d_in]. */
    public Tensor preActivations(Tensor processed) {
        int n = processed.dim(0);
        Tensor pre = broadcastRows(bEnc, n);
        Matmul.gemm(false, false, 1f, processed, wEnc, 1f, pre);
        return pre;
    }

    /** f = σ(pre) as a new tensor [N, d_sae] (σ depends on the architecture). */
    public Tensor activate(Tensor pre) {
        Tensor p = pre.contiguous();
        int n = p.dim(0), m = p.dim(1);
        if (config.architecture() == Architecture.TOPK) {
            return TopK.scatter(p, TopK.select(p, config.k(), null), config.k());
        }
        Tensor f = Tensor.zeros(n, m);
        float[] a = p.data(), o = f.data();
        int off = p.offset();
        float[] th = threshold == null ? null : threshold.data();
        int to0 = threshold == null ? 0 : threshold.offset();
        Parallel.forRange(n, 16, (from, to) -> {
            for (int r = from; r < to; r++) {
                for (int j = 0; j < m; j++) {
                    float v = a[off + r * m + j];
                    o[r * m + j] = th == null ? Math.max(0f, v) : (v > th[to0 + j] && v > 0f ? v : 0f);
                }
            }
        });
        return f;
    }

    /** Feature activations f [..., d_sae] of x [..., d_in]. */
    public Tensor encode(Tensor x) {
        Tensor f = activate(preActivations(processInput(x)));
        return f.reshape(outShape(x, dSae()));
    }

    /** The reconstruction x̂ = (f·W_dec + b_dec)/s [..., d_in] of feature activations f [..., d_sae]. */
    public Tensor decode(Tensor f) {
        int[] shape = f.shape();
        if (shape.length == 0 || shape[shape.length - 1] != dSae()) {
            throw new LoupeException("SAE decode: expected activations [..., " + dSae() + "], got " + Arrays.toString(shape));
        }
        Tensor rows = f.contiguous().reshape(-1, dSae());
        Tensor out = broadcastRows(bDec, rows.dim(0));
        Matmul.gemm(false, false, 1f, rows, wDec, 1f, out);
        if (inputScale != 1f) scaleInPlace(out, 1f / inputScale);
        shape[shape.length - 1] = dIn();
        return out.reshape(shape);
    }

    /** x̂ [..., d_in] of x [..., d_in]. */
    public Tensor forward(Tensor x) {
        return run(x).recons().reshape(x.shape());
    }

    /** One forward pass over x [..., d_in] seen as N rows: pre and f [N, d_sae], x̂ [N, d_in]. */
    public Forward run(Tensor x) {
        Tensor pre = preActivations(processInput(x));
        Tensor f = activate(pre);
        Tensor recons = decode(f);
        return new Forward(pre, f, recons);
    }

    // ---------------------------------------------------------------- folding

    /**
     * This SAE with its input scale folded into the weights (W_enc·s, W_dec/s, b_dec/s, s = 1,
     * normalize_activations "none"): the same function of raw activations, as SAELens saves it.
     * Returns this SAE when s is already 1 and nothing needs folding.
     */
    public SparseAutoencoder folded() {
        if (inputScale == 1f && config.normalizeActivations().equals(SaeConfig.NORMALIZE_NONE)) return this;
        float s = inputScale;
        Tensor we = wEnc.copy(), wd = wDec.copy(), bd = bDec.copy();
        scaleInPlace(we, s);
        scaleInPlace(wd, 1f / s);
        scaleInPlace(bd, 1f / s);
        return new SparseAutoencoder(config.withNormalizeActivations(SaeConfig.NORMALIZE_NONE), we, bEnc.copy(), wd, bd,
                threshold == null ? null : threshold.copy(), 1f);
    }

    /** This SAE with other config metadata (weights shared). */
    public SparseAutoencoder withMetadata(SaeMetadata metadata) {
        return new SparseAutoencoder(config.withMetadata(metadata), wEnc, bEnc, wDec, bDec, threshold, inputScale);
    }

    // ---------------------------------------------------------------- helpers

    private Tensor rows(Tensor x) {
        int[] s = x.shape();
        if (s.length == 0 || s[s.length - 1] != dIn()) {
            throw new LoupeException("SAE input has shape " + Arrays.toString(s) + " but the SAE expects [..., "
                    + dIn() + "] (d_in " + dIn() + ")");
        }
        return x.contiguous().reshape(-1, dIn());
    }

    private static int[] outShape(Tensor x, int last) {
        int[] s = x.shape();
        s[s.length - 1] = last;
        return s;
    }

    /** A new [n, len] tensor whose every row is {@code v}. */
    static Tensor broadcastRows(Tensor v, int n) {
        int len = v.size();
        Tensor out = Tensor.zeros(n, len);
        float[] src = v.contiguous().data(), dst = out.data();
        int off = v.contiguous().offset();
        for (int r = 0; r < n; r++) System.arraycopy(src, off, dst, r * len, len);
        return out;
    }

    static void scaleInPlace(Tensor t, float s) {
        float[] a = t.contiguousData();
        int off = t.offset(), n = t.size();
        for (int i = 0; i < n; i++) a[off + i] *= s;
    }
}
