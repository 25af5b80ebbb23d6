package dev.loupe.analysis.circuits;

import dev.loupe.LoupeException;
import dev.loupe.model.Attention;
import dev.loupe.model.GptConfig;
import dev.loupe.model.Gpt;
import dev.loupe.tensor.Tensor;
import dev.loupe.tensor.linalg.Eigen;

import java.util.ArrayList;
import java.util.List;

/**
 * The per-head circuits of "A Mathematical Framework for Transformer Circuits" (Elhage et al., 2021)
 * for one model, in the row-vector convention of the weights (Conv1D, y = x·W; TransformerLens's
 * convention): a head reads the residual stream x [·, d_model] through W_Q^h, W_K^h, W_V^h
 * [d_model, d_head] and writes through W_O^h [d_head, d_model].
 *
 * <pre>
 *   QK circuit       W_QK^h = W_Q^h · W_K^hᵀ                 [d_model, d_model]   score(x_dst, x_src) = x_dst W_QK x_srcᵀ
 *   OV circuit       W_OV^h = W_V^h · W_O^h                  [d_model, d_model]   write = x_src W_OV
 *   full QK circuit  W_E · W_QK^h · W_Eᵀ                      [V, V]   rows: destination (query) token, columns: source (key) token
 *   full OV circuit  W_E · W_OV^h · W_U                       [V, V]   rows: source (attended) token, columns: output logit
 *   positional QK    W_pos · W_QK^h · W_posᵀ                  [n_pos, n_pos]
 *   positional OV    W_pos · W_OV^h · W_U                     [n_pos, V]
 * </pre>
 *
 * All are {@link FactoredMatrix} with inner dimension d_head: nothing V × V is formed. These are the
 * raw weights' circuits: LayerNorm scales and biases are not folded in (nor is the final LayerNorm
 * between the stream and W_U), as in TransformerLens without {@code fold_ln}.
 *
 * <p>A model held in bfloat16 ({@code --weights bf16}) is read through its exact float32 widening:
 * per head only that head's block ({@link Attention#wQ}), and W_E and W_U widened once on first use
 * and kept by this object (not by the model) — the circuits of the bfloat16 model, whose weights are
 * the rounded ones.
 *
 * <p>Not thread-safe (caches W_E, W_U and two [d_model, d_model] products of the embedding).
 */
public final class HeadCircuits {
    private final Gpt gpt;
    private Tensor embed;          // W_E [V, d_model]: the model's tensor, or (bfloat16 model) its widening while this analysis lives
    private Tensor unembed;        // W_U stored [V, d_model], likewise
    private Tensor unembedEmbed;   // W_U · W_E [d_model, d_model]
    private Tensor embedGram;      // W_Eᵀ · W_E [d_model, d_model]

    public HeadCircuits(Gpt gpt) {
        PlainResidual.require(gpt, "the QK/OV circuit analysis");
        this.gpt = gpt;
    }

    public Gpt model() { return gpt; }

    public int layers() { return gpt.config().nLayer(); }

    public int heads() { return gpt.config().nHead(); }

    public int dModel() { return gpt.config().dModel(); }

    public int dHead() { return gpt.config().dModel() / gpt.config().nHead(); }

    /** Every head, layer by layer. */
    public List<HeadId> allHeads() {
        List<HeadId> out = new ArrayList<>();
        for (int l = 0; l < layers(); l++) for (int h = 0; h < heads(); h++) out.add(new HeadId(l, h));
        return out;
    }

    /** W_E [V, d_model] (the model's tensor; for a bfloat16 model its float32 widening, made once). */
    public Tensor embedding() {
        if (embed == null) embed = gpt.embedding.weightFloat32();
        return embed;
    }

    /** W_U [d_model, V]: a transposed view of the stored [V, d_model] unembedding (W_Eᵀ when tied). */
    public Tensor unembedding() {
        if (unembed == null) unembed = gpt.config().tied() ? embedding() : gpt.unembedding.weightFloat32();
        return unembed.transpose(0, 1);
    }

    /** W_pos [n_positions, d_model]: learned or sinusoidal; a model without positions has none. */
    public Tensor positions() {
        if (gpt.config().positional() == GptConfig.Positional.NONE) {
            throw new LoupeException("this model has no positional embedding (positional NONE): there is no positional circuit");
        }
        return gpt.positions.table;
    }

    /** W_QK^h = W_Q^h · W_K^hᵀ [d_model, d_model], factored with inner dimension d_head (views of the weights). */
    public FactoredMatrix qk(int layer, int head) {
        Attention a = attention(layer, head);
        return new FactoredMatrix(a.wQ(head), a.wK(head).transpose(0, 1));
    }

    /** W_OV^h = W_V^h · W_O^h [d_model, d_model], factored with inner dimension d_head (views of the weights). */
    public FactoredMatrix ov(int layer, int head) {
        Attention a = attention(layer, head);
        return new FactoredMatrix(a.wV(head), a.wO(head));
    }

    /** The full QK circuit W_E · W_QK^h · W_Eᵀ [V, V]: (W_E W_Q^h)·(W_E W_K^h)ᵀ, two [V, d_head] factors. */
    public FactoredMatrix fullQk(int layer, int head) {
        return qk(layer, head).premultiply(embedding()).times(embedding().transpose(0, 1));
    }

    /** The full OV circuit W_E · W_OV^h · W_U [V, V]: (W_E W_V^h)·(W_O^h W_U), two d_head-wide factors. */
    public FactoredMatrix fullOv(int layer, int head) {
        return ov(layer, head).premultiply(embedding()).times(unembedding());
    }

    /** The positional QK circuit W_pos · W_QK^h · W_posᵀ [n_pos, n_pos]: which positions attend to which. */
    public FactoredMatrix positionalQk(int layer, int head) {
        return qk(layer, head).premultiply(positions()).times(positions().transpose(0, 1));
    }

    /** The positional OV circuit W_pos · W_OV^h · W_U [n_pos, V]: what attending to a position writes to the logits. */
    public FactoredMatrix positionalOv(int layer, int head) {
        return ov(layer, head).premultiply(positions()).times(unembedding());
    }

    /**
     * The eigenvalues of the full OV circuit W_E·W_OV^h·W_U (its non-zero ones, padded with zeros to
     * d_head), without forming its [V, d_head] factors: eig(W_E·X) and eig(X·W_E) share their non-zero
     * eigenvalues, so they are those of W_OV^h·(W_U·W_E) [d_model, d_model], i.e. of the d_head × d_head
     * W_O^h·(W_U W_E)·W_V^h. W_U·W_E [d_model, d_model] is computed once per model.
     */
    public Eigen.Values fullOvEigenvalues(int layer, int head) {
        return ov(layer, head).times(unembedTimesEmbed()).eigenvalues();
    }

    /** The eigenvalues of the full QK circuit W_E·W_QK^h·W_Eᵀ, likewise from W_QK^h·(W_Eᵀ W_E). */
    public Eigen.Values fullQkEigenvalues(int layer, int head) {
        return qk(layer, head).times(embeddingGram()).eigenvalues();
    }

    /** The OV copying score of a head: {@link CopyingScore} of its full OV circuit. */
    public double ovCopyingScore(int layer, int head) {
        return CopyingScore.of(fullOvEigenvalues(layer, head));
    }

    /** The QK "matching" score of a head: {@link CopyingScore} of its full QK circuit. */
    public double qkMatchingScore(int layer, int head) {
        return CopyingScore.of(fullQkEigenvalues(layer, head));
    }

    /** W_U · W_E [d_model, d_model] (cached). */
    Tensor unembedTimesEmbed() {
        if (unembedEmbed == null) unembedEmbed = MatrixViews.product(unembedding(), embedding());
        return unembedEmbed;
    }

    /** W_Eᵀ · W_E [d_model, d_model] (cached). */
    Tensor embeddingGram() {
        if (embedGram == null) embedGram = MatrixViews.product(embedding().transpose(0, 1), embedding());
        return embedGram;
    }

    private Attention attention(int layer, int head) {
        if (layer < 0 || layer >= layers() || head < 0 || head >= heads()) {
            throw new LoupeException("no head " + HeadId.name(layer, head) + ": the model has " + layers() + " layers of "
                    + heads() + " heads (both counted from 0)");
        }
        return gpt.blocks[layer].attn;
    }
}
