package dev.loupe.model;

import dev.loupe.tensor.Tensor;
import dev.loupe.tensor.ops.Ops;

/**
 * Training and evaluation when only each sequence's last position has a target, as in algorithmic
 * tasks ("a b =" → answer, Power et al. 2021; Nanda et al. 2023): the cross-entropy of the B last
 * positions, mean over B, and its exact gradient, without computing what that loss never reads.
 *
 * <p>Every block but the last runs on all B·T positions (later positions attend to them). The last
 * block's attention also runs on all positions (the last query attends to every key and value), but
 * everything after it — the residual add, LN2, the MLP, ln_f, the unembedding and the softmax — runs on
 * the B last rows only. For the one-layer grokking model (T = 3) that is a third of the MLP and
 * unembedding work, which dominate a step. Backward mirrors it: the gradient enters the full stream
 * only at the last rows.
 *
 * <pre>
 *   x        = blocks_{0…L−2}(W_E[t] + P)                  // [B·T, d]
 *   mid      = x[last] + Attn_{L−1}(LN1(x))[last]           // [B, d]
 *   out      = mid + MLP(LN2(mid))                          // [B, d]
 *   logits   = LN_f(out) · W_U                              // [B, V]
 *   loss     = mean_b CE(logits_b, target_b)
 * </pre>
 * Pre-LN and no-LN models (post-LN normalises the whole stream after attention, so it is refused).
 * Gradients accumulate into the model's {@link Gpt#gradients()} like {@link Gpt#forwardBackward}.
 * Hooks do not run. Not thread-safe.
 */
public final class LastPositionLoss {
    private final Gpt gpt;
    private final GptConfig config;
    private Activations a;             // all positions: blocks 0…L−1 up to the last block's attention
    private Tensor mid, mlpIn, ln2Mean, ln2Rstd, mlpPre, mlpPost, mlpOut, out, fin, finMean, finRstd, logits; // [B, ·]
    private Tensor dOut, dTmp, dPost, dPre;                                                                 // [B, ·]

    /** A loss head over {@code gpt} (its parameters and gradients are used in place). */
    public LastPositionLoss(Gpt gpt) {
        GptConfig c = gpt.config();
        if (c.norm() == GptConfig.Norm.POST) {
            throw new IllegalArgumentException("last-position training needs a pre-LN model or one without LayerNorm, not post-LN");
        }
        if (c.nLayer() == 0) throw new IllegalArgumentException("last-position training needs at least one block");
        this.gpt = gpt;
        this.config = c;
    }

    /**
     * Forward and backward: the mean cross-entropy of the last position of each of {@code batch}
     * sequences (ids [B·T]) against {@code targets} [B]; the gradients are accumulated.
     */
    public float forwardBackward(int[] ids, int[] targets, int batch, int seqLen) {
        forward(ids, batch, seqLen);
        float loss = CrossEntropy.lossAndGradient(logits, targets);   // logits ← dL/dlogits [B, V]
        backward(ids, batch, seqLen);
        return loss;
    }

    /**
     * The logits of the last position of each sequence, [B, V]: the model's buffer, overwritten by
     * the next call. Equal (to float32 rounding) to the last rows of {@link Gpt#logits}.
     */
    public Tensor logits(int[] ids, int batch, int seqLen) {
        forward(ids, batch, seqLen);
        return logits;
    }

    private void forward(int[] ids, int batch, int seqLen) {
        if (ids.length != batch * seqLen) throw new IllegalArgumentException("expected " + batch * seqLen + " ids, got " + ids.length);
        gpt.positions.checkContext(0, seqLen);
        allocate(batch, seqLen);
        Tensor x0 = a.residual.pre(0);
        gpt.embedding.forward(ids, x0);                                       // W_E[t]
        gpt.positions.addTo(x0, batch, seqLen, 0);                            //   + P[pos]
        int last = gpt.blocks.length - 1;
        for (int l = 0; l < last; l++) {
            gpt.blocks[l].forward(a.residual.pre(l), a.blocks[l], batch, seqLen, null, l, a.residual.post(l), null);
        }
        Block b = gpt.blocks[last];
        Block.State s = a.blocks[last];
        Tensor x = a.residual.pre(last);
        Tensor attnIn = x;
        if (b.ln1 != null) {
            b.ln1.forward(x, s.attnIn, s.ln1Mean, s.ln1Rstd);                 // LN1(x), all positions
            attnIn = s.attnIn;
        }
        b.attn.forward(attnIn, s, batch, seqLen, null, last, s.attnOut);     // [B·T, d]
        for (int i = 0; i < batch; i++) {                                    // mid = x + attn, last rows
            int r = i * seqLen + seqLen - 1;
            Ops.add(x.slice(0, r, r + 1), s.attnOut.slice(0, r, r + 1), mid.slice(0, i, i + 1));
        }
        Tensor stream = mid;
        if (b.mlp != null) {
            Tensor in = mid;
            if (b.ln2 != null) {
                b.ln2.forward(mid, mlpIn, ln2Mean, ln2Rstd);
                in = mlpIn;
            }
            b.mlp.forward(in, mlpPre, mlpPost, mlpOut);                      // [B, d]
            Ops.add(mid, mlpOut, out);
            stream = out;
        }
        Tensor read = stream;
        if (gpt.lnFinal != null) {
            gpt.lnFinal.forward(stream, fin, finMean, finRstd);
            read = fin;
        }
        gpt.unembedding.forward(read, logits);                                // [B, V]
    }

    private void backward(int[] ids, int batch, int seqLen) {
        Activations.Scratch g = a.scratch();
        int last = gpt.blocks.length - 1;
        Block b = gpt.blocks[last];
        Block.State s = a.blocks[last];
        Tensor stream = b.mlp != null ? out : mid;
        Tensor read = gpt.lnFinal != null ? fin : stream;
        gpt.unembedding.backward(logits, read, dTmp);                          // d read [B, d]
        dOut.fill(0f);
        if (gpt.lnFinal != null) gpt.lnFinal.backward(dTmp, stream, finMean, finRstd, dOut);
        else dTmp.copyInto(dOut);                                              // dOut = d stream
        if (b.mlp != null) {                                                   // dOut: d out → d mid
            dTmp.fill(0f);
            Tensor in = b.ln2 != null ? mlpIn : mid;
            b.mlp.backward(dOut, in, mlpPre, mlpPost, dPost, dPre, dTmp);
            if (b.ln2 != null) b.ln2.backward(dTmp, mid, ln2Mean, ln2Rstd, dOut);
            else Ops.add(dOut, dTmp, dOut);
        }
        g.dResid.fill(0f);                                                     // d stream: only the last rows
        for (int i = 0; i < batch; i++) {
            int r = i * seqLen + seqLen - 1;
            dOut.slice(0, i, i + 1).copyInto(g.dResid.slice(0, r, r + 1));
        }
        Tensor x = a.residual.pre(last);
        g.dTmp.fill(0f);
        b.attn.backward(g.dResid, b.ln1 != null ? s.attnIn : x, s, batch, seqLen, g, g.dTmp);
        if (b.ln1 != null) b.ln1.backward(g.dTmp, x, s.ln1Mean, s.ln1Rstd, g.dResid);
        else Ops.add(g.dResid, g.dTmp, g.dResid);                            // dResid = d x
        for (int l = last - 1; l >= 0; l--) gpt.blocks[l].backward(a.residual.pre(l), a.blocks[l], batch, seqLen, g);
        gpt.embedding.backward(ids, g.dResid);
        gpt.positions.backward(g.dResid, batch, seqLen);
    }

    private void allocate(int batch, int seqLen) {
        if (a != null && a.batch == batch && a.seqLen == seqLen) return;
        GptConfig c = config;
        int d = c.dModel();
        a = null;
        a = new Activations(c, batch, seqLen, seqLen);
        boolean ln = c.hasLayerNorm(), hasMlp = c.mlp() != GptConfig.Mlp.NONE;
        mid = Tensor.zeros(batch, d);
        mlpIn = ln && hasMlp ? Tensor.zeros(batch, d) : null;
        ln2Mean = ln && hasMlp ? Tensor.zeros(batch) : null;
        ln2Rstd = ln && hasMlp ? Tensor.zeros(batch) : null;
        mlpPre = hasMlp ? Tensor.zeros(batch, Mlp.hiddenWidth(c)) : null;
        mlpPost = hasMlp ? Tensor.zeros(batch, c.dMlp()) : null;
        mlpOut = hasMlp ? Tensor.zeros(batch, d) : null;
        out = hasMlp ? Tensor.zeros(batch, d) : null;
        fin = ln ? Tensor.zeros(batch, d) : null;
        finMean = ln ? Tensor.zeros(batch) : null;
        finRstd = ln ? Tensor.zeros(batch) : null;
        logits = Tensor.zeros(batch, c.vocabSize());
        dOut = Tensor.zeros(batch, d);
        dTmp = Tensor.zeros(batch, d);
        dPost = hasMlp ? Tensor.zeros(batch, c.dMlp()) : null;
        dPre = hasMlp ? Tensor.zeros(batch, Mlp.hiddenWidth(c)) : null;
    }
}
