package dev.loupe.model;

import dev.loupe.LoupeException;
import dev.loupe.tensor.Tensor;

/**
 * How a token's position enters the residual stream: added to the token embedding at the start.
 *
 * <ul>
 *   <li>{@code LEARNED}: GPT-2's W_pos ({@code wpe.weight} [n_positions, d_model]), a trained row per
 *       position; longer contexts than n_positions are an error.</li>
 *   <li>{@code SINUSOIDAL}: Vaswani et al. (2017), fixed, no parameters:
 *       {@code PE[pos, 2i] = sin(pos / 10000^(2i/d))}, {@code PE[pos, 2i+1] = cos(pos / 10000^(2i/d))}.</li>
 *   <li>{@code NONE}: nothing is added; the causal mask alone lets the model infer order.</li>
 * </ul>
 *
 * <pre>
 *   forward:  x[b, t] += P[start + t]          // x [B·T, d_model]
 *   backward: dW_pos[t] += Σ_b dx[b, t]         // learned only
 * </pre>
 */
public final class PositionalEncoding {
    private final GptConfig.Positional kind;
    private final int nPositions;
    private final int dModel;
    /** W_pos [n_positions, d_model] when learned, the fixed sinusoid table when sinusoidal, else null. */
    public final Tensor table;
    final Tensor dTable;

    private PositionalEncoding(GptConfig.Positional kind, int nPositions, int dModel, Tensor table, Tensor dTable) {
        this.kind = kind;
        this.nPositions = nPositions;
        this.dModel = dModel;
        this.table = table;
        this.dTable = dTable;
    }

    /** Learned positions over live parameters {@code wpe} [n_positions, d_model] and its gradient. */
    public static PositionalEncoding learned(Tensor wpe, Tensor dWpe) {
        return new PositionalEncoding(GptConfig.Positional.LEARNED, wpe.dim(0), wpe.dim(1), wpe, dWpe);
    }

    /** Fixed sinusoids for positions 0 … n_positions − 1 (computed on the fly beyond). */
    public static PositionalEncoding sinusoidal(int nPositions, int dModel) {
        Tensor t = Tensor.zeros(nPositions, dModel);
        float[] d = t.contiguousData();
        for (int p = 0; p < nPositions; p++) sinusoidRow(p, dModel, d, p * dModel);
        return new PositionalEncoding(GptConfig.Positional.SINUSOIDAL, nPositions, dModel, t, null);
    }

    /** No positional signal. */
    public static PositionalEncoding none(int dModel) {
        return new PositionalEncoding(GptConfig.Positional.NONE, Integer.MAX_VALUE, dModel, null, null);
    }

    /** Which kind this is. */
    public GptConfig.Positional kind() {
        return kind;
    }

    /** PE[pos, 2i] = sin(pos·ω_i), PE[pos, 2i+1] = cos(pos·ω_i) with ω_i = 10000^(−2i/d), into out[off …]. */
    static void sinusoidRow(int pos, int d, float[] out, int off) {
        for (int j = 0; j < d; j++) {
            int twoI = j - (j & 1);
            double angle = pos / Math.pow(10000.0, (double) twoI / d);
            out[off + j] = (float) ((j & 1) == 0 ? Math.sin(angle) : Math.cos(angle));
        }
    }

    /** Throws unless positions start … start + length − 1 exist (learned positions stop at n_positions). */
    void checkContext(int start, int length) {
        if (kind == GptConfig.Positional.LEARNED && start + length > nPositions) {
            throw new LoupeException("context of " + (start + length) + " tokens exceeds the model's n_positions = "
                    + nPositions + " (learned positions have no row beyond it)");
        }
    }

    /** x[b·T + t] += P[start + t] for every batch row b; x [B·T, d_model]. */
    public void addTo(Tensor x, int batch, int seqLen, int start) {
        if (kind == GptConfig.Positional.NONE) return;
        checkContext(start, seqLen);
        float[] xd = x.contiguousData();
        int xo = x.offset();
        float[] row = new float[dModel];
        for (int t = 0; t < seqLen; t++) {
            int pos = start + t;
            float[] src;
            int so;
            if (pos < nPositions) {
                src = table.contiguousData();
                so = table.offset() + pos * dModel;
            } else {
                sinusoidRow(pos, dModel, row, 0);
                src = row;
                so = 0;
            }
            for (int b = 0; b < batch; b++) {
                int o = xo + (b * seqLen + t) * dModel;
                for (int j = 0; j < dModel; j++) xd[o + j] += src[so + j];
            }
        }
    }

    /** dW_pos[t] += Σ_b dx[b·T + t] (learned positions only; positions start at 0 in training). */
    public void backward(Tensor dx, int batch, int seqLen) {
        if (kind != GptConfig.Positional.LEARNED || dTable == null) return; // null: frozen
        float[] g = dx.contiguousData(), w = dTable.contiguousData();
        int go = dx.offset(), wo = dTable.offset();
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < seqLen; t++) {
                int o = go + (b * seqLen + t) * dModel, p = wo + t * dModel;
                for (int j = 0; j < dModel; j++) w[p + j] += g[o + j];
            }
        }
    }
}
