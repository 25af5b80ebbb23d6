package dev.loupe.model;

import dev.loupe.tensor.Tensor;
import dev.loupe.tensor.bf16.Bf16Matrix;
import dev.loupe.tensor.bf16.Bf16Products;
import dev.loupe.tensor.matmul.Matmul;

/**
 * The unembedding W_U: reads the final (normalised) residual stream into one logit per token.
 * Stored [V, d_model] like PyTorch's {@code lm_head.weight}; tied models use W_E itself
 * ({@code W_U = W_Eᵀ}), so the gradient from the output adds into {@code wte}'s gradient.
 *
 * <pre>
 *   forward:  logits = x · Wᵀ              // [N, d_model] · [d_model, V] → [N, V]
 *   backward: dx  = dlogits · W             // [N, V] · [V, d_model] → [N, d_model]
 *             dW += dlogitsᵀ · x            // [V, N] · [N, d_model] → [V, d_model]
 * </pre>
 */
public final class Unembedding {
    /** [V, d_model]: {@code lm_head.weight}, or {@code wte.weight} when tied; null when held in bfloat16. */
    public final Tensor weight;
    /** [V, d_model] in bfloat16 for inference ({@code --weights bf16}), else null. */
    public final Bf16Matrix weightBf16;
    final Tensor dWeight;

    public Unembedding(Tensor weight, Tensor dWeight) {
        this.weight = weight;
        this.weightBf16 = null;
        this.dWeight = dWeight;
    }

    /** An inference-only unembedding over bfloat16 W [V, d_model] (float32 accumulation); no gradient. */
    public Unembedding(Bf16Matrix weight) {
        this.weight = null;
        this.weightBf16 = weight;
        this.dWeight = null;
    }

    /** logits [N, V] (overwritten) = x [N, d] · Wᵀ. */
    public void forward(Tensor x, Tensor logits) {
        if (weightBf16 != null) Bf16Products.xWt(x, weightBf16, logits);
        else Matmul.gemm(false, true, 1f, x, weight, 0f, logits);
    }

    /** dx [N, d] (overwritten) = dlogits · W; dW += dlogitsᵀ · x. */
    public void backward(Tensor dLogits, Tensor x, Tensor dx) {
        Matmul.gemm(false, false, 1f, dLogits, weight, 0f, dx);
        if (dWeight != null) Matmul.gemm(true, false, 1f, dLogits, x, 1f, dWeight); // null: frozen
    }
}
