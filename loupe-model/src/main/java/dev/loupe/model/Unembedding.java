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

    /**
     * W_U stored [V, d_model] as float32, for analyses that read the weights: the live tensor of a
     * float32 model; for a bfloat16 one a new, exactly widened copy the caller owns and drops (the
     * model keeps only the bfloat16 values).
     */
    public Tensor weightFloat32() {
        return weight != null ? weight : weightBf16.toTensor();
    }

    /**
     * Row {@code token} of the stored W_U [d_model] as float32: the direction whose dot product with
     * the final stream is that token's logit (a view of a float32 weight, else the exact widening of
     * that row only).
     */
    public Tensor rowFloat32(int token) {
        if (token < 0 || token >= vocabSize()) {
            throw new dev.loupe.LoupeException("token id " + token + " is outside the vocabulary [0, " + vocabSize() + ")");
        }
        return weight != null ? weight.select(0, token) : weightBf16.rowsToTensor(token, token + 1).reshape(weightBf16.cols());
    }

    /** Vocabulary size V: the rows of the stored W_U. */
    public int vocabSize() {
        return weight != null ? weight.dim(0) : weightBf16.rows();
    }

    /** Model width d_model: the columns of the stored W_U. */
    public int dModel() {
        return weight != null ? weight.dim(1) : weightBf16.cols();
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
