package dev.loupe.model;

import dev.loupe.tensor.Tensor;

/**
 * The residual stream: the running sum every layer reads from and adds its output into
 * (Elhage et al., "A Mathematical Framework for Transformer Circuits"). Kept as one snapshot per
 * layer boundary, [B·T, d_model] each, so that backward and analyses can read any of them:
 * {@code pre(0)} is the embedding (W_E[t] + P[pos]), {@code pre(l)} is what block l reads
 * ({@code blocks.l.hook_resid_pre}), {@code pre(l + 1)} what it leaves ({@code hook_resid_post}),
 * and {@link #last()} is what the final LayerNorm and the unembedding read.
 */
public final class ResidualStream {
    private final Tensor[] snapshots;

    ResidualStream(int nLayer, int rows, int dModel) {
        snapshots = new Tensor[nLayer + 1];
        for (int i = 0; i <= nLayer; i++) snapshots[i] = Tensor.zeros(rows, dModel);
    }

    /** The stream entering block {@code layer} (layer = n_layer gives the final stream). [B·T, d_model]. */
    public Tensor pre(int layer) {
        return snapshots[layer];
    }

    /** The stream leaving block {@code layer}, i.e. {@code pre(layer + 1)}. [B·T, d_model]. */
    public Tensor post(int layer) {
        return snapshots[layer + 1];
    }

    /** The stream after the last block. [B·T, d_model]. */
    public Tensor last() {
        return snapshots[snapshots.length - 1];
    }

    /** Number of blocks. */
    public int layers() {
        return snapshots.length - 1;
    }
}
