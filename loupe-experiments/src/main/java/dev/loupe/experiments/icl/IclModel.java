package dev.loupe.experiments.icl;

import dev.loupe.model.Attention;
import dev.loupe.model.AttentionKind;
import dev.loupe.model.Linear;
import dev.loupe.tensor.Tensor;
import dev.loupe.tensor.ops.Ops;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A transformer on continuous tokens, built from the library's {@link Attention} blocks directly
 * (no vocabulary, no LayerNorm, no MLP), as in von Oswald et al.:
 * <pre>
 *   h_0 = E·W_in + b_in                         E [B·T, d_token] → [B·T, d_model]
 *   h_{l+1} = h_l + Attention_l(h_l)            l = 0 … L−1, causal, one kind for all layers
 *   ŷ = h_L[query]·w_out + b_out                the last position of each sequence → [B]
 * </pre>
 * Trained on the squared error of ŷ; backward by hand through the same blocks' exact backward.
 */
public final class IclModel {
    final AttentionKind kind;
    final int dToken, dModel, nHead, layers;
    final Map<String, Tensor> params = new LinkedHashMap<>(), grads = new LinkedHashMap<>();
    final Linear in, out;
    final Attention[] attn;
    private final Map<Integer, Buffers> buffers = new HashMap<>();

    public IclModel(AttentionKind kind, int dToken, int dModel, int nHead, int layers, long seed) {
        this.kind = kind;
        this.dToken = dToken;
        this.dModel = dModel;
        this.nHead = nHead;
        this.layers = layers;
        SplittableRandom r = new SplittableRandom(seed);
        in = linear("in", dToken, dModel, 1 / Math.sqrt(dToken), r);
        attn = new Attention[layers];
        for (int l = 0; l < layers; l++) {
            Linear qkv = linear("h." + l + ".attn.c_attn", dModel, 3 * dModel, 0.5 / Math.sqrt(dModel), r);
            // small output projections: unnormalised linear attention grows like N·|h|³ per layer at start
            Linear proj = linear("h." + l + ".attn.c_proj", dModel, dModel, 0.01, r);
            Tensor logAlpha = null, logAlphaGrad = null;
            if (kind.lsAlphaLearned()) {
                logAlpha = param("h." + l + ".attn.ls_log_alpha", Tensor.zeros(nHead).fill((float) Math.log(kind.lsAlpha())));
                logAlphaGrad = grads.get("h." + l + ".attn.ls_log_alpha");
            }
            attn[l] = new Attention(qkv, proj, nHead, kind, logAlpha, logAlphaGrad);
        }
        out = linear("out", dModel, 1, 1 / Math.sqrt(dModel), r);
    }

    private Linear linear(String name, int from, int to, double std, SplittableRandom r) {
        Tensor w = Tensor.zeros(from, to);
        float[] d = w.data();
        for (int i = 0; i < d.length; i++) d[i] = (float) (std * Tensor.gaussian(r));
        Tensor wt = param(name + ".weight", w), b = param(name + ".bias", Tensor.zeros(to));
        return new Linear(wt, b, grads.get(name + ".weight"), grads.get(name + ".bias"));
    }

    private Tensor param(String name, Tensor t) {
        params.put(name, t);
        grads.put(name, Tensor.zeros(t.shape()));
        return t;
    }

    /** Parameters by name (weights in Conv1D orientation [in, out], as the library stores them). */
    public Map<String, Tensor> parameters() {
        return params;
    }

    public Map<String, Tensor> gradients() {
        return grads;
    }

    /** The activations of one (B, T), allocated once and reused. */
    private static final class Buffers {
        final Tensor[] h;                       // [L + 1] × [B·T, d_model]
        final Attention.Workspace[] ws;
        final Tensor attnOut, dh, dPrev, query, dQuery, yHat, dYHat;

        Buffers(IclModel m, int batch, int seqLen) {
            int rows = batch * seqLen;
            h = new Tensor[m.layers + 1];
            for (int l = 0; l <= m.layers; l++) h[l] = Tensor.zeros(rows, m.dModel);
            ws = new Attention.Workspace[m.layers];
            for (int l = 0; l < m.layers; l++) ws[l] = new Attention.Workspace(m.attn[l], batch, seqLen);
            attnOut = Tensor.zeros(rows, m.dModel);
            dh = Tensor.zeros(rows, m.dModel);
            dPrev = Tensor.zeros(rows, m.dModel);
            query = Tensor.zeros(batch, m.dModel);
            dQuery = Tensor.zeros(batch, m.dModel);
            yHat = Tensor.zeros(batch, 1);
            dYHat = Tensor.zeros(batch, 1);
        }
    }

    private Buffers buffers(int batch, int seqLen) {
        return buffers.computeIfAbsent(batch * 100_000 + seqLen, k -> new Buffers(this, batch, seqLen));
    }

    /** ŷ at the last position of each of the B sequences of tokens [B·T, d_token]. */
    public double[] predict(Tensor tokens, int batch, int seqLen) {
        Buffers b = forward(tokens, batch, seqLen);
        double[] y = new double[batch];
        for (int i = 0; i < batch; i++) y[i] = b.yHat.get(i, 0);
        return y;
    }

    private Buffers forward(Tensor tokens, int batch, int seqLen) {
        Buffers b = buffers(batch, seqLen);
        in.forward(tokens, b.h[0]);
        for (int l = 0; l < layers; l++) {
            attn[l].forward(b.h[l], b.ws[l], b.attnOut);
            Ops.add(b.h[l], b.attnOut, b.h[l + 1]);                        // residual
        }
        for (int i = 0; i < batch; i++) b.h[layers].select(0, i * seqLen + seqLen - 1).copyInto(b.query.select(0, i));
        out.forward(b.query, b.yHat);
        return b;
    }

    /**
     * Mean squared error of ŷ against {@code targets} [B], with every parameter gradient accumulated
     * (call {@link #zeroGradients()} first).
     */
    public double lossAndBackward(Tensor tokens, double[] targets, int batch, int seqLen) {
        Buffers b = forward(tokens, batch, seqLen);
        double loss = 0;
        for (int i = 0; i < batch; i++) {
            double e = b.yHat.get(i, 0) - targets[i];
            loss += e * e;
            b.dYHat.set((float) (2 * e / batch), i, 0);
        }
        b.dQuery.fill(0f);
        out.backward(b.dYHat, b.query, b.dQuery);
        b.dh.fill(0f);
        for (int i = 0; i < batch; i++) b.dQuery.select(0, i).copyInto(b.dh.select(0, i * seqLen + seqLen - 1));
        Tensor dNext = b.dh, dPrev = b.dPrev;
        for (int l = layers - 1; l >= 0; l--) {
            dNext.copyInto(dPrev);                                           // residual path
            attn[l].backward(dNext, b.h[l], b.ws[l], dPrev);                 // + Attention's
            Tensor t = dNext;
            dNext = dPrev;
            dPrev = t;
        }
        in.backward(dNext, tokens, null);
        return loss / batch;
    }

    public void zeroGradients() {
        for (Tensor g : grads.values()) g.fill(0f);
    }
}
