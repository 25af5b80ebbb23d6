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
 * <p>Training buffers keep every block's activations (backward needs them). Inference buffers
 * ({@link #forInference}) share one {@link Block.State} between the blocks (each block overwrites
 * what the previous one left; the residual stream is still kept per layer): a 1024-token
 * GPT-2-small forward then holds 48 MiB of patterns instead of 576 MiB and about 60 MiB of other
 * block activations instead of 700 MiB, which a full forward used to allocate, fill and hand to the
 * garbage collector pass after pass (copying it between generations took seconds; docs/performance.md).
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
    /**
     * ln_f output [B·T, d_model] and its statistics [B·T]. Without LayerNorm (norm NONE) lnFinal is
     * the final residual stream itself (what W_U reads) and the statistics are null.
     */
    public final Tensor lnFinal, lnFinalMean, lnFinalRstd;
    /** [B·T, V]. */
    public final Tensor logits;

    private final GptConfig config;
    /** True for {@link #forInference} buffers, which cannot serve a backward pass. */
    final boolean inferenceOnly;
    private Scratch scratch;

    /** Buffers for a forward and backward pass: every block keeps its own attention pattern. */
    Activations(GptConfig c, int batch, int seqLen, int keyCapacity) {
        this(c, batch, seqLen, keyCapacity, false);
    }

    /** Buffers for a forward pass only: the blocks share one state (attention pattern included). */
    static Activations forInference(GptConfig c, int batch, int seqLen, int keyCapacity) {
        return new Activations(c, batch, seqLen, keyCapacity, true);
    }

    private Activations(GptConfig c, int batch, int seqLen, int keyCapacity, boolean sharedPattern) {
        this.config = c;
        this.batch = batch;
        this.seqLen = seqLen;
        this.rows = batch * seqLen;
        this.keyCapacity = keyCapacity;
        this.residual = new ResidualStream(c.nLayer(), rows, c.dModel());
        this.blocks = new Block.State[c.nLayer()];
        Block.State shared = sharedPattern ? new Block.State(c, batch, seqLen, keyCapacity) : null;
        for (int l = 0; l < blocks.length; l++) {
            blocks[l] = sharedPattern ? shared : new Block.State(c, batch, seqLen, keyCapacity);
        }
        this.inferenceOnly = sharedPattern;
        boolean ln = c.hasLayerNorm();
        this.lnFinal = ln ? Tensor.zeros(rows, c.dModel()) : residual.last();   // no ln_f: W_U reads x_L itself
        this.lnFinalMean = ln ? Tensor.zeros(rows) : null;
        this.lnFinalRstd = ln ? Tensor.zeros(rows) : null;
        this.logits = Tensor.zeros(rows, c.vocabSize());
    }

    /** Gradient buffers for the backward pass, allocated on first use (inference never needs them). */
    Scratch scratch() {
        if (inferenceOnly) throw new IllegalStateException("inference buffers share one block state: no backward pass");
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
        final Tensor dGated, dGatePre;  // highway: d F(x) [B·T, d_model] and d(u·W_T + b_T) [B·T, w]; else null

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
            dGated = c.highway() != null ? Tensor.zeros(rows, d) : null;
            dGatePre = c.highway() != null ? Tensor.zeros(rows, c.highway().gateWidth(d)) : null;
        }
    }
}
