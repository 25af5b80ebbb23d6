package dev.loupe.model;

import dev.loupe.tensor.Parallel;
import dev.loupe.tensor.Tensor;
import dev.loupe.tensor.matmul.Matmul;
import dev.loupe.tensor.ops.Ops;

/**
 * Training and evaluation when only each sequence's last position has a target, as in algorithmic
 * tasks ("a b =" → answer, Power et al. 2021; Nanda et al. 2023): the cross-entropy of the B last
 * positions, mean over B, and its exact gradient, without computing what that loss never reads.
 *
 * <pre>
 *   x      = blocks_{0…L−2}(W_E[t] + P)                                         // [B·T, d]
 *   mid    = x[last] + Attn_{L−1}(query LN1(x)[last]; keys, values LN1(x))       // [B, d]
 *   out    = mid + MLP(LN2(mid))                                                // [B, d]
 *   logits = LN_f(out) · W_U                                                    // [B, V]
 *   loss   = mean_b CE(logits_b, target_b)
 * </pre>
 *
 * <p>What is skipped. Every block but the last runs on all B·T positions (later positions attend to
 * them). In the last block, keys and values are computed for every position, but the query, the
 * pattern, W_O and everything after — the residual add, LN2, the MLP, ln_f, the unembedding, the
 * softmax — only for the B last rows. When the model has one block and fewer token ids than
 * sequences (V &lt; B, e.g. the grokking model: V = 114, B = 3 830), the block's input at position j
 * is W_E[t] + P[j], one of only V·T distinct rows: keys, values and queries are computed once per
 * (token, position) and their gradients summed per (token, position) before the weight products —
 * the same sums in another order. Backward mirrors the forward pass.
 *
 * <p>The last block's attention runs as plain loops over (sequence, head): with T this small that is a
 * few dozen multiply-adds each, far cheaper than B·H tiny matrix products.
 *
 * <p>Pre-LN and no-LN models (post-LN normalises the whole stream after attention, so it is refused).
 * Gradients accumulate into the model's {@link Gpt#gradients()} like {@link Gpt#forwardBackward}.
 * Hooks do not run. Not thread-safe.
 */
public final class LastPositionLoss {
    private final Gpt gpt;
    private final GptConfig config;
    private int batch = -1, seqLen = -1;
    private boolean table;             // one block, V < B: the block's input rows are (token, position) pairs

    private Activations a;             // full path: every position through blocks 0…L−2 and the last LN1
    private Tensor raw, src;           // the last block's input stream [R, d] and its LN1 (src = raw without LN)
    private Tensor tableMean, tableRstd;
    private int[] tableIds;            // table path: [V·T], token t at rows t·T … t·T + T − 1
    private int[] kvRow;               // [B·T]: row of raw/src/kv holding (sequence b, position j)
    private int[] qRow;                // [B]: row of q for sequence b
    private int[] qSrcRow;             // [Q]: row of src feeding query row i
    private Tensor qSrc, q, kv;        // [Q, d], [Q, d], [R, 2d]
    private float[] pattern;           // [B, H, T]
    private Tensor z, attnOut, mid, mlpIn, ln2Mean, ln2Rstd, mlpPre, mlpPost, mlpOut, out, fin, finMean, finRstd, logits;
    private Tensor dOut, dTmp, dPost, dPre, dz;              // [B, ·]
    private Tensor dqSeq, dkvSeq, dq, dkv, dSrc, dqx, dRaw;  // per (b, j); per row of q / kv; [R, d]; [Q, d]; [R, d]

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
        backward(ids);
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

    /** Whether the last call used the (token, position) table (one block, V &lt; B). */
    public boolean usesTokenTable() {
        return table;
    }

    // ---------------------------------------------------------------- forward

    private void forward(int[] ids, int batch, int seqLen) {
        if (ids.length != batch * seqLen) throw new IllegalArgumentException("expected " + batch * seqLen + " ids, got " + ids.length);
        gpt.positions.checkContext(0, seqLen);
        allocate(batch, seqLen);
        int last = gpt.blocks.length - 1, v = config.vocabSize();
        Block b = gpt.blocks[last];
        if (table) {
            gpt.embedding.forward(tableIds, raw);                                // W_E[t] + P[j] per (t, j)
            gpt.positions.addTo(raw, v, seqLen, 0);
            if (b.ln1 != null) b.ln1.forward(raw, src, tableMean, tableRstd);
            for (int i = 0; i < ids.length; i++) {
                if (ids[i] < 0 || ids[i] >= v) throw new IllegalArgumentException("token id " + ids[i] + " is outside [0, " + v + ")");
                kvRow[i] = ids[i] * seqLen + i % seqLen;
            }
            for (int s = 0; s < batch; s++) qRow[s] = ids[s * seqLen + seqLen - 1];
        } else {
            Tensor x0 = a.residual.pre(0);
            gpt.embedding.forward(ids, x0);
            gpt.positions.addTo(x0, batch, seqLen, 0);
            for (int l = 0; l < last; l++) {
                gpt.blocks[l].forward(a.residual.pre(l), a.blocks[l], batch, seqLen, null, l, a.residual.post(l), null);
            }
            Block.State s = a.blocks[last];
            if (b.ln1 != null) b.ln1.forward(raw, src, s.ln1Mean, s.ln1Rstd);
        }
        for (int i = 0; i < qSrcRow.length; i++) src.slice(0, qSrcRow[i], qSrcRow[i] + 1).copyInto(qSrc.slice(0, i, i + 1));
        lastQueryAttention(b.attn);                                              // attnOut [B, d]
        for (int s = 0; s < batch; s++) {                                        // mid = x[last] + attn
            int r = kvRow[s * seqLen + seqLen - 1];
            Ops.add(raw.slice(0, r, r + 1), attnOut.slice(0, s, s + 1), mid.slice(0, s, s + 1));
        }
        Tensor stream = mid;
        if (b.mlp != null) {
            Tensor in = mid;
            if (b.ln2 != null) {
                b.ln2.forward(mid, mlpIn, ln2Mean, ln2Rstd);
                in = mlpIn;
            }
            b.mlp.forward(in, mlpPre, mlpPost, mlpOut);                          // [B, d]
            Ops.add(mid, mlpOut, out);
            stream = out;
        }
        Tensor read = stream;
        if (gpt.lnFinal != null) {
            gpt.lnFinal.forward(stream, fin, finMean, finRstd);
            read = fin;
        }
        gpt.unembedding.forward(read, logits);                                    // [B, V]
    }

    /**
     * The last block's attention for the last query of each sequence:
     * <pre>
     *   q    = src[query rows] · W_Q + b_Q               // [Q, d]
     *   k|v  = src · W_K|V + b_K|V                       // [R, 2d]
     *   P_bh = softmax_j(q_bh · k_bjh / √d_head)         // [B, H, T], no mask: the last query sees every key
     *   z_bh = Σ_j P_bhj · v_bjh                         // [B, d]
     *   out  = z · W_O + b_O                             // [B, d]
     * </pre>
     */
    private void lastQueryAttention(Attention attn) {
        int d = config.dModel();
        Tensor w = attn.qkv.weight, bias = attn.qkv.bias;
        Matmul.gemm(false, false, 1f, qSrc, w.slice(1, 0, d), 0f, q);
        Matmul.gemm(false, false, 1f, src, w.slice(1, d, 3 * d), 0f, kv);
        if (bias != null) {
            Ops.addInto(q, bias.slice(0, 0, d));                                  // + b_Q on every row
            Ops.addInto(kv, bias.slice(0, d, 3 * d));                             // + b_K|V
        }
        int heads = attn.nHead, dh = attn.dHead, t = seqLen;
        float scale = (float) (1.0 / Math.sqrt(dh));
        float[] qd = q.data(), kvd = kv.data(), zd = z.data();
        Parallel.forRange(batch, 64, (from, to) -> {
            for (int b = from; b < to; b++) {
                for (int h = 0; h < heads; h++) {
                    int qo = qRow[b] * d + h * dh, zo = b * d + h * dh, po = (b * heads + h) * t;
                    float max = Float.NEGATIVE_INFINITY;
                    for (int j = 0; j < t; j++) {
                        int ko = kvRow[b * t + j] * 2 * d + h * dh;
                        float sc = 0;
                        for (int e = 0; e < dh; e++) sc += qd[qo + e] * kvd[ko + e];
                        sc *= scale;
                        pattern[po + j] = sc;
                        max = Math.max(max, sc);
                    }
                    float sum = 0;
                    for (int j = 0; j < t; j++) {
                        float ex = (float) Math.exp(pattern[po + j] - max);
                        pattern[po + j] = ex;
                        sum += ex;
                    }
                    for (int e = 0; e < dh; e++) zd[zo + e] = 0f;
                    for (int j = 0; j < t; j++) {
                        float pj = pattern[po + j] / sum;
                        pattern[po + j] = pj;
                        int vo = kvRow[b * t + j] * 2 * d + d + h * dh;
                        for (int e = 0; e < dh; e++) zd[zo + e] += pj * kvd[vo + e];
                    }
                }
            }
        });
        attn.proj.forward(z, attnOut);
    }

    // ---------------------------------------------------------------- backward

    private void backward(int[] ids) {
        int last = gpt.blocks.length - 1;
        Block b = gpt.blocks[last];
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
        lastQueryAttentionBackward(b.attn);                                   // dSrc [R, d] from dOut = d mid
        dRaw.fill(0f);
        if (b.ln1 != null) {
            Tensor mean = table ? tableMean : a.blocks[last].ln1Mean, rstd = table ? tableRstd : a.blocks[last].ln1Rstd;
            b.ln1.backward(dSrc, raw, mean, rstd, dRaw);
        } else {
            dSrc.copyInto(dRaw);
        }
        for (int s = 0; s < batch; s++) {                                      // the residual path x[last] → mid
            int r = kvRow[s * seqLen + seqLen - 1];
            Tensor row = dRaw.slice(0, r, r + 1);
            Ops.add(row, dOut.slice(0, s, s + 1), row);
        }
        if (table) {
            gpt.embedding.backward(tableIds, dRaw);
            gpt.positions.backward(dRaw, config.vocabSize(), seqLen);
            return;
        }
        Activations.Scratch g = a.scratch();
        dRaw.copyInto(g.dResid);
        for (int l = last - 1; l >= 0; l--) gpt.blocks[l].backward(a.residual.pre(l), a.blocks[l], batch, seqLen, g);
        gpt.embedding.backward(ids, g.dResid);
        gpt.positions.backward(g.dResid, batch, seqLen);
    }

    /**
     * Backward of {@link #lastQueryAttention} from d(out) = {@code dOut} [B, d]: accumulates the
     * gradients of c_attn and c_proj and writes d(src) [R, d] into {@code dSrc}.
     * <pre>
     *   dz = dout · W_Oᵀ;   dP_bhj = dz_bh · v_bjh;   dv_bjh = P_bhj · dz_bh
     *   dS = P ⊙ (dP − Σ_j P dP);   dq_bh = Σ_j dS_bhj k_bjh / √d_head;   dk_bjh = dS_bhj q_bh / √d_head
     *   (per row of q and kv: summed over the sequences and positions that share it)
     *   dW_Q += src[query rows]ᵀ dq,  dW_K|V += srcᵀ dk|v,  dsrc = dk|v · W_K|Vᵀ (+ dq · W_Qᵀ at the query rows)
     * </pre>
     */
    private void lastQueryAttentionBackward(Attention attn) {
        int d = config.dModel(), heads = attn.nHead, dh = attn.dHead, t = seqLen;
        float scale = (float) (1.0 / Math.sqrt(dh));
        dz.fill(0f);
        attn.proj.backward(dOut, z, dz);
        float[] qd = q.data(), kvd = kv.data(), dzd = dz.data(), dqs = dqSeq.data(), dkvs = dkvSeq.data();
        Parallel.forRange(batch, 64, (from, to) -> {
            float[] dp = new float[t];
            for (int b = from; b < to; b++) {
                for (int h = 0; h < heads; h++) {
                    int qo = qRow[b] * d + h * dh, zo = b * d + h * dh, po = (b * heads + h) * t;
                    float dot = 0;
                    for (int j = 0; j < t; j++) {
                        int vo = kvRow[b * t + j] * 2 * d + d + h * dh, dvo = (b * t + j) * 2 * d + d + h * dh;
                        float s = 0;
                        for (int e = 0; e < dh; e++) {
                            s += dzd[zo + e] * kvd[vo + e];
                            dkvs[dvo + e] = pattern[po + j] * dzd[zo + e];            // dV
                        }
                        dp[j] = s;
                        dot += pattern[po + j] * s;
                    }
                    for (int e = 0; e < dh; e++) dqs[zo + e] = 0f;
                    for (int j = 0; j < t; j++) {
                        float ds = pattern[po + j] * (dp[j] - dot) * scale;
                        int ko = kvRow[b * t + j] * 2 * d + h * dh, dko = (b * t + j) * 2 * d + h * dh;
                        for (int e = 0; e < dh; e++) {
                            dqs[zo + e] += ds * kvd[ko + e];
                            dkvs[dko + e] = ds * qd[qo + e];                           // dK
                        }
                    }
                }
            }
        });
        if (table) {                                                           // sum per shared row
            dq.fill(0f);
            dkv.fill(0f);
            scatterAdd(dqSeq, qRow, dq);
            scatterAdd(dkvSeq, kvRow, dkv);
        }
        Linear qkv = attn.qkv;
        Matmul.gemm(true, false, 1f, qSrc, dq, 1f, qkv.dWeight.slice(1, 0, d));            // dW_Q
        Matmul.gemm(true, false, 1f, src, dkv, 1f, qkv.dWeight.slice(1, d, 3 * d));        // dW_K|V
        if (qkv.dBias != null) {
            Ops.sumRowsInto(dq, qkv.dBias.slice(0, 0, d));
            Ops.sumRowsInto(dkv, qkv.dBias.slice(0, d, 3 * d));
        }
        Matmul.gemm(false, true, 1f, dkv, qkv.weight.slice(1, d, 3 * d), 0f, dSrc);        // dsrc from k|v
        Matmul.gemm(false, true, 1f, dq, qkv.weight.slice(1, 0, d), 0f, dqx);              // dsrc[query rows] from q
        for (int i = 0; i < qSrcRow.length; i++) {
            Tensor row = dSrc.slice(0, qSrcRow[i], qSrcRow[i] + 1);
            Ops.add(row, dqx.slice(0, i, i + 1), row);
        }
    }

    // ---------------------------------------------------------------- buffers

    private void allocate(int batch, int seqLen) {
        if (batch == this.batch && seqLen == this.seqLen) return;
        GptConfig c = config;
        int d = c.dModel(), v = c.vocabSize(), last = c.nLayer() - 1;
        this.batch = batch;
        this.seqLen = seqLen;
        table = c.nLayer() == 1 && v < batch;
        boolean ln = c.hasLayerNorm(), hasMlp = c.mlp() != GptConfig.Mlp.NONE;
        a = null;
        int rows, queries;
        if (table) {
            rows = v * seqLen;
            queries = v;
            raw = Tensor.zeros(rows, d);
            src = ln ? Tensor.zeros(rows, d) : raw;
            tableMean = ln ? Tensor.zeros(rows) : null;
            tableRstd = ln ? Tensor.zeros(rows) : null;
            tableIds = new int[rows];
            for (int r = 0; r < rows; r++) tableIds[r] = r / seqLen;
            qSrcRow = new int[v];
            for (int tok = 0; tok < v; tok++) qSrcRow[tok] = tok * seqLen + seqLen - 1;
            qRow = new int[batch];                                              // filled per call
        } else {
            rows = batch * seqLen;
            queries = batch;
            a = new Activations(c, batch, seqLen, seqLen);
            raw = a.residual.pre(last);
            src = ln ? a.blocks[last].attnIn : raw;
            qSrcRow = new int[batch];
            qRow = new int[batch];
            for (int s = 0; s < batch; s++) {
                qSrcRow[s] = s * seqLen + seqLen - 1;
                qRow[s] = s;
            }
        }
        kvRow = new int[batch * seqLen];
        if (!table) for (int i = 0; i < kvRow.length; i++) kvRow[i] = i;
        qSrc = Tensor.zeros(queries, d);
        q = Tensor.zeros(queries, d);
        kv = Tensor.zeros(rows, 2 * d);
        pattern = new float[batch * c.nHead() * seqLen];
        z = Tensor.zeros(batch, d);
        attnOut = Tensor.zeros(batch, d);
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
        logits = Tensor.zeros(batch, v);
        dOut = Tensor.zeros(batch, d);
        dTmp = Tensor.zeros(batch, d);
        dz = Tensor.zeros(batch, d);
        dPost = hasMlp ? Tensor.zeros(batch, c.dMlp()) : null;
        dPre = hasMlp ? Tensor.zeros(batch, Mlp.hiddenWidth(c)) : null;
        dqSeq = Tensor.zeros(batch, d);
        dkvSeq = Tensor.zeros(batch * seqLen, 2 * d);
        dq = table ? Tensor.zeros(queries, d) : dqSeq;          // without the table every row is its own
        dkv = table ? Tensor.zeros(rows, 2 * d) : dkvSeq;
        dSrc = Tensor.zeros(rows, d);
        dqx = Tensor.zeros(queries, d);
        dRaw = Tensor.zeros(rows, d);
    }

    /** acc[row[i]] += m[i] for every row i of m [n, w] (acc [R, w]; rows may repeat). */
    private static void scatterAdd(Tensor m, int[] row, Tensor acc) {
        int w = m.dim(1);
        float[] md = m.data(), ad = acc.data();
        for (int i = 0; i < row.length; i++) {
            int o = i * w, r = row[i] * w;
            for (int j = 0; j < w; j++) ad[r + j] += md[o + j];
        }
    }
}
