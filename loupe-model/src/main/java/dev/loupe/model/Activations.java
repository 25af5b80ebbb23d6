package dev.loupe.model;

import dev.loupe.tensor.Tensor;

/**
 * Every activation of one forward pass on a batch of B sequences of T new tokens, in buffers
 * allocated once per (B, T) and reused, so a training loop does not allocate per step. The backward
 * pass reads them; hooks and analyses may read them after {@link Gpt#forward}.
 *
 * <p>Rows are positions, batch-major: row {@code b·T + t}. Attention patterns are
 * [B, n_head, T, keyCapacity]; during training keyCapacity = T, during cached decoding the keys are
 * the cached positions followed by the new ones. {@link #logits} holds dLoss/dlogits after
 * {@link Gpt#forwardBackward} (the buffer is reused to save B·T·V floats, as llm.c does).
 *
 * <p>Not thread-safe: one forward at a time per buffer.
 */
public final class Activations {
    public final int batch;
    public final int seqLen;
    /** B·T. */
    public final int rows;
    public final int keyCapacity;
    public final ResidualStream residual;
    public final Block.State[] blocks;
    /** ln_f output [B·T, d_model] and its statistics [B·T]. */
    public final Tensor lnFinal, lnFinalMean, lnFinalRstd;
    /** [B·T, V]. */
    public final Tensor logits;

    private final GptConfig config;
    private Scratch scratch;

    Activations(GptConfig c, int batch, int seqLen, int keyCapacity) {
        this.config = c;
        this.batch = batch;
        this.seqLen = seqLen;
        this.rows = batch * seqLen;
        this.keyCapacity = keyCapacity;
        this.residual = new ResidualStream(c.nLayer(), rows, c.dModel());
        this.blocks = new Block.State[c.nLayer()];
        for (int l = 0; l < blocks.length; l++) blocks[l] = new Block.State(c, batch, seqLen, keyCapacity);
        this.lnFinal = Tensor.zeros(rows, c.dModel());
        this.lnFinalMean = Tensor.zeros(rows);
        this.lnFinalRstd = Tensor.zeros(rows);
        this.logits = Tensor.zeros(rows, c.vocabSize());
    }

    /** Gradient buffers for the backward pass, allocated on first use (inference never needs them). */
    Scratch scratch() {
        if (scratch == null) scratch = new Scratch(config, batch, seqLen);
        return scratch;
    }

    /**
     * Gradients of activations, shared by all layers (only one layer's are alive at a time):
     * the running gradient of the residual stream and the per-op temporaries.
     */
    static final class Scratch {
        final Tensor dResid, dTmp;      // [B·T, d_model]
        final Tensor dz;                // [B·T, d_model]   gradient of the concatenated head outputs
        final Tensor dQkv;              // [B·T, 3·d_model]
        final Tensor dPattern;          // [B, n_head, T, T]
        final Tensor dMlpPost, dMlpPre; // [B·T, d_mlp], [B·T, d_mlp or 2·d_mlp]

        Scratch(GptConfig c, int batch, int seqLen) {
            int rows = batch * seqLen, d = c.dModel();
            dResid = Tensor.zeros(rows, d);
            dTmp = Tensor.zeros(rows, d);
            dz = Tensor.zeros(rows, d);
            dQkv = Tensor.zeros(rows, 3 * d);
            dPattern = Tensor.zeros(batch, c.nHead(), seqLen, seqLen);
            boolean mlp = c.mlp() != GptConfig.Mlp.NONE;
            dMlpPost = mlp ? Tensor.zeros(rows, c.dMlp()) : null;
            dMlpPre = mlp ? Tensor.zeros(rows, Mlp.hiddenWidth(c)) : null;
        }
    }
}
