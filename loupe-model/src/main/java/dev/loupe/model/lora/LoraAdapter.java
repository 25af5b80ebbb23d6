package dev.loupe.model.lora;

import dev.loupe.model.Linear;
import dev.loupe.tensor.Tensor;
import dev.loupe.tensor.matmul.Matmul;

import java.util.SplittableRandom;

/**
 * One LoRA update on a {@link Linear} layer: A [r, in], B [out, r] and their gradients, with
 * forward and backward side by side (x̃ = dropout(x) while training, x otherwise; s = scale):
 * <pre>
 *   forward:  h  = x̃ · Aᵀ                 // [N, in] · [in, r]  → [N, r]
 *             y += s · h · Bᵀ              // [N, r]  · [r, out] → [N, out]
 *   backward: dB += s · dyᵀ · h            // [out, N] · [N, r]  → [out, r]
 *             dh  = s · dy · B             // [N, out] · [out, r] → [N, r]
 *             dA += dhᵀ · x̃               // [r, N] · [N, in]  → [r, in]
 *             dx += mask ⊙ (dh · A)        // [N, r] · [r, in]  → [N, in]; mask = 1 without dropout
 * </pre>
 * Only A and B receive gradients: the layer's own W and b stay frozen. Initialised as PEFT does,
 * A ~ Kaiming-uniform with a = √5 (U(−1/√in, 1/√in)) and B = 0, so ΔW = 0 and the adapted model
 * starts equal to the base model.
 */
public final class LoraAdapter implements Linear.Adapter {
    /** A [r, in] ({@code lora_A.weight}). */
    public final Tensor a;
    /** B [out, r] ({@code lora_B.weight}). */
    public final Tensor b;
    final Tensor dA;
    final Tensor dB;
    private final float scale;
    private final float dropout;

    private boolean training;
    private SplittableRandom dropoutRandom;
    private Tensor hidden;   // [N, r] from the last forward
    private Tensor dropped;  // [N, in]: x̃ of the last training forward (dropout only)
    private Tensor mask;     // [N, in]: 0 or 1/(1−p) (dropout only)

    /** An adapter over given A [r, in] and B [out, r] (used in place). */
    public LoraAdapter(Tensor a, Tensor b, float scale, float dropout) {
        if (a.rank() != 2 || b.rank() != 2 || a.dim(0) != b.dim(1)) {
            throw new IllegalArgumentException("LoRA A must be [r, in] and B [out, r], got A " + java.util.Arrays.toString(a.shape())
                    + " and B " + java.util.Arrays.toString(b.shape()));
        }
        this.a = a;
        this.b = b;
        this.dA = Tensor.zeros(a.shape());
        this.dB = Tensor.zeros(b.shape());
        this.scale = scale;
        this.dropout = dropout;
    }

    /** A fresh adapter for a layer of {@code in → out}: A Kaiming-uniform (a = √5), B zero. */
    public static LoraAdapter init(int in, int out, int r, float scale, float dropout, long seed) {
        float bound = (float) (1 / Math.sqrt(in)); // gain √(2/(1+5)) · √(3/fan_in)
        return new LoraAdapter(Tensor.uniform(seed, -bound, bound, r, in), Tensor.zeros(out, r), scale, dropout);
    }

    public int rank() { return a.dim(0); }

    public float scale() { return scale; }

    /**
     * Training mode: dropout is applied with masks drawn from {@code random}; {@code null} turns
     * training off (inference: no dropout).
     */
    void training(SplittableRandom random) {
        this.training = random != null;
        this.dropoutRandom = random;
    }

    @Override
    public void forward(Tensor x, Tensor y) {
        int n = x.dim(0), in = x.dim(1);
        Tensor xt = x;
        if (training && dropout > 0) {
            dropped = reuse(dropped, n, in);
            mask = reuse(mask, n, in);
            float keep = 1f / (1f - dropout);
            float[] xs = x.contiguousData(), d = dropped.data(), m = mask.data();
            int xo = x.offset();
            for (int i = 0; i < n * in; i++) {
                m[i] = dropoutRandom.nextDouble() < dropout ? 0f : keep;
                d[i] = xs[xo + i] * m[i];
            }
            xt = dropped;
        }
        hidden = reuse(hidden, n, rank());
        Matmul.gemm(false, true, 1f, xt, a, 0f, hidden);        // h = x̃·Aᵀ
        Matmul.gemm(false, true, scale, hidden, b, 1f, y);      // y += s·h·Bᵀ
    }

    @Override
    public void backward(Tensor dy, Tensor x, Tensor dx) {
        int n = dy.dim(0);
        Tensor xt = training && dropout > 0 ? dropped : x;
        Matmul.gemm(true, false, scale, dy, hidden, 1f, dB);    // dB += s·dyᵀ·h
        Tensor dh = Tensor.zeros(n, rank());
        Matmul.gemm(false, false, scale, dy, b, 0f, dh);        // dh = s·dy·B
        Matmul.gemm(true, false, 1f, dh, xt, 1f, dA);           // dA += dhᵀ·x̃
        if (dx == null) return;
        if (xt == x) {
            Matmul.gemm(false, false, 1f, dh, a, 1f, dx);       // dx += dh·A
        } else {
            Tensor dxt = Tensor.zeros(n, x.dim(1));
            Matmul.gemm(false, false, 1f, dh, a, 0f, dxt);
            float[] g = dxt.data(), m = mask.data(), out = dx.contiguousData();
            int o = dx.offset();
            for (int i = 0; i < g.length; i++) out[o + i] += g[i] * m[i];
        }
    }

    /** ΔW [in, out] = s·(B·A)ᵀ = s·Aᵀ·Bᵀ, GPT-2's Conv1D orientation. */
    public Tensor delta() {
        Tensor d = Tensor.zeros(a.dim(1), b.dim(0));
        addDeltaTo(d);
        return d;
    }

    /** w [in, out] += ΔW (merging the adapter into the layer). */
    public void addDeltaTo(Tensor w) {
        Matmul.gemm(true, true, scale, a, b, 1f, w);
    }

    private static Tensor reuse(Tensor t, int rows, int cols) {
        return t != null && t.dim(0) == rows && t.dim(1) == cols ? t : Tensor.zeros(rows, cols);
    }
}
