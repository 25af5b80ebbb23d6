package dev.loupe.model;

import dev.loupe.tensor.Parallel;
import dev.loupe.tensor.Tensor;
import dev.loupe.tensor.matmul.Matmul;
import dev.loupe.tensor.ops.AttentionKernels;
import dev.loupe.tensor.ops.Ops;

/**
 * Causal multi-head self-attention (Vaswani et al., 2017), GPT-2 layout: one fused projection
 * {@code c_attn} [d_model, 3·d_model] whose columns are q | k | v (each split into n_head blocks of
 * d_head), and the output projection {@code c_proj} [d_model, d_model].
 *
 * <p>Per head h, in the circuits framework's terms: the QK circuit W_Q^h W_K^hᵀ decides where to
 * look, the OV circuit W_V^h W_O^h what to move. {@link #wQ}, {@link #wK}, {@link #wV},
 * {@link #wO} are views into the fused weights (no copies): changing them changes the model. In a
 * model held in bfloat16 ({@code --weights bf16}) they are instead new float32 tensors widened
 * exactly from that head's bfloat16 block only (no whole matrix is widened): analyses then read the
 * bfloat16 model's (rounded) weights, and editing them changes nothing.
 *
 * <pre>
 *   forward:  qkv = x · W_attn + b_attn                  // [N, d] → [N, 3d]
 *             for each sequence b and head h:
 *               S = Q_h · K_hᵀ / √d_head                 // [T, d_head]·[d_head, Tk] → [T, Tk]
 *               P = softmax(S) with the causal mask      // query t sees keys ≤ t
 *               z_h = P · V_h                            // [T, Tk]·[Tk, d_head] → [T, d_head]
 *             out = z · W_O + b_O                        // [N, d] → [N, d]; z = heads side by side
 *   backward: dz = dout · W_Oᵀ (+ dW_O, db_O)
 *             dP = dz_h · V_hᵀ,   dV_h = Pᵀ · dz_h
 *             dS = P ⊙ (dP − rowsum(dP ⊙ P))             // softmax backward; masked entries stay 0
 *             dQ_h = dS · K_h / √d_head,   dK_h = dSᵀ · Q_h / √d_head
 *             dx += dqkv · W_attnᵀ (+ dW_attn, db_attn)
 * </pre>
 *
 * <p>The attention kind ({@link AttentionKind}) replaces the middle step: linear and least-squares
 * attention compute z_h from Q_h, K_h, V_h with a {@link RecurrentAttentionKernel}
 * ({@link LinearAttentionKernel}, {@link LeastSquaresAttentionKernel}) in O(T·d_head²), and keep a
 * constant-size state per head instead of cached keys and values when decoding. With hooks they
 * materialise the effective mixing weights A[t, s] (z_h = A V_h, same as the softmax pattern), so
 * pattern views, detectors and head ablation see and edit the same {@code hook_pattern}.
 */
public final class Attention {
    /** c_attn: W [d_model, 3·d_model] (q | k | v), b [3·d_model]. */
    public final Linear qkv;
    /** c_proj: W_O [d_model, d_model], b [d_model]. */
    public final Linear proj;
    public final int nHead;
    public final int dHead;
    private final int dModel;
    private final float scale;
    /** How positions are mixed; softmax unless the model says otherwise. */
    public final AttentionKind kind;
    /** The kernel of linear or least-squares attention; null for softmax. */
    private final RecurrentAttentionKernel recurrent;
    /** Learned least-squares log α [n_head] and its gradient; null otherwise. */
    private final Tensor logAlphaGrad;

    /** GPT-2's softmax attention. */
    public Attention(Linear qkv, Linear proj, int nHead) {
        this(qkv, proj, nHead, AttentionKind.SOFTMAX, null, null);
    }

    /**
     * Attention of the given kind; {@code logAlpha} and {@code logAlphaGrad} [n_head] are the
     * learned least-squares log α ({@code h.{i}.attn.ls_log_alpha}) and its gradient, else null.
     */
    public Attention(Linear qkv, Linear proj, int nHead, AttentionKind kind, Tensor logAlpha, Tensor logAlphaGrad) {
        this.qkv = qkv;
        this.proj = proj;
        this.nHead = nHead;
        this.dModel = proj.inFeatures();
        this.dHead = dModel / nHead;
        this.scale = (float) (1.0 / Math.sqrt(dHead));
        this.kind = kind;
        if (kind.lsAlphaLearned() && (logAlpha == null || logAlphaGrad == null)) {
            throw new IllegalArgumentException("learned least-squares α needs the ls_log_alpha tensor and its gradient");
        }
        this.recurrent = kind.recurrent() ? RecurrentAttentionKernel.of(kind, dHead, kind.lsAlphaLearned() ? logAlpha : null) : null;
        this.logAlphaGrad = kind.lsAlphaLearned() ? logAlphaGrad : null;
    }

    /** W_Q^h [d_model, d_head]: columns h·d_head … of c_attn's q block (a view; a bfloat16 model: its widened copy). */
    public Tensor wQ(int h) {
        return qkv.columnsFloat32(h * dHead, (h + 1) * dHead);
    }

    /** W_K^h [d_model, d_head] (a view of c_attn's k block; a bfloat16 model: its widened copy). */
    public Tensor wK(int h) {
        return qkv.columnsFloat32(dModel + h * dHead, dModel + (h + 1) * dHead);
    }

    /** W_V^h [d_model, d_head] (a view of c_attn's v block; a bfloat16 model: its widened copy). */
    public Tensor wV(int h) {
        return qkv.columnsFloat32(2 * dModel + h * dHead, 2 * dModel + (h + 1) * dHead);
    }

    /** W_O^h [d_head, d_model]: rows h·d_head … of c_proj (a view; a bfloat16 model: its widened copy). */
    public Tensor wO(int h) {
        return proj.rowsFloat32(h * dHead, (h + 1) * dHead);
    }

    /**
     * b_Q^h, b_K^h, b_V^h [d_head] (views of c_attn's bias); which = 0, 1, 2 for q, k, v. Without
     * attention biases ({@code attn_bias: false}) a new zero tensor: reading it is right, editing it
     * changes nothing.
     */
    public Tensor bias(int which, int h) {
        if (qkv.bias == null) return Tensor.zeros(dHead);
        int o = which * dModel + h * dHead;
        return qkv.bias.slice(0, o, o + dHead);
    }

    /**
     * Forward on x [B·T, d_model] into out [B·T, d_model]. With a cache (batch 1), the new keys and
     * values are written at positions cache.length() … and the queries attend to every cached key.
     */
    public void forward(Tensor x, Block.State s, int batch, int seqLen, KvCache cache, int layer, Tensor out) {
        forward(x, s, batch, seqLen, cache, layer, out, null);
    }

    /**
     * As above, with {@code hooks} (null when none are attached: the fused path below). Hooks need a
     * full pass (no cache); they take {@link #forwardHooked}, which runs the same steps in phases so
     * that q/k/v, scores, pattern, z and per-head results can each be read or edited.
     */
    public void forward(Tensor x, Block.State s, int batch, int seqLen, KvCache cache, int layer, Tensor out, Hooks hooks) {
        if (hooks != null) {
            if (cache != null) throw new IllegalStateException("hooks apply to full forward passes, not to cached decoding");
            forwardHooked(x, s, batch, seqLen, layer, out, hooks);
            return;
        }
        if (recurrent != null) {
            forwardRecurrent(x, s, batch, seqLen, cache, layer, out);
            return;
        }
        qkv.forward(x, s.qkv);
        if (cache == null) {                       // a full causal pass (training, a whole prompt): fused per-head kernels
            causalHeads(s, batch, seqLen);
            proj.forward(s.z, out);
            return;
        }
        int past = cache == null ? 0 : cache.length();
        int keyLen = past + seqLen;
        Tensor keys, values;        // [B·keyLen, 3d] or [keyLen, d] sources
        int kCol, vCol;
        if (cache == null) {
            keys = s.qkv;
            values = s.qkv;
            kCol = dModel;
            vCol = 2 * dModel;
        } else {
            s.qkv.slice(1, dModel, 2 * dModel).copyInto(cache.keyBuffer(layer).slice(0, past, keyLen));
            s.qkv.slice(1, 2 * dModel, 3 * dModel).copyInto(cache.valueBuffer(layer).slice(0, past, keyLen));
            keys = cache.keyBuffer(layer);
            values = cache.valueBuffer(layer);
            kCol = 0;
            vCol = 0;
        }
        Parallel.forRange(batch * nHead, 1, (from, to) -> {
            for (int bh = from; bh < to; bh++) {
                int b = bh / nHead, h = bh % nHead;
                int kRow = cache == null ? b * seqLen : 0;
                Tensor q = block(s.qkv, b * seqLen, seqLen, h * dHead);               // [T, d_head]
                Tensor k = block(keys, kRow, keyLen, kCol + h * dHead);              // [Tk, d_head]
                Tensor v = block(values, kRow, keyLen, vCol + h * dHead);            // [Tk, d_head]
                Tensor p = pattern(s.pattern, b, h, keyLen);                         // [T, Tk]
                Matmul.gemm(false, true, scale, q, k, 0f, p);                        // S = Q Kᵀ / √d_head
                Ops.softmaxRowsInPlace(p, true, past);                               // P, key j ≤ past + i
                Matmul.gemm(false, false, 1f, p, v, 0f, block(s.z, b * seqLen, seqLen, h * dHead)); // z_h = P V
            }
        });
        proj.forward(s.z, out);
    }

    /**
     * The forward pass with hook points between its steps (the same arithmetic as the fused loop):
     * <pre>
     *   qkv = x·W_attn + b_attn            → attn.hook_q, hook_k, hook_v     [B, T, H, d_head]
     *   S_h = Q_h K_hᵀ / √d_head, masked −∞ → attn.hook_attn_scores         [B, H, T, T]
     *   P_h = softmax(S_h)                  → attn.hook_pattern             [B, H, T, T]
     *   z_h = P_h V_h                       → attn.hook_z                   [B, T, H, d_head]
     *   result_h = z_h W_O^h (only if hooked) → attn.hook_result           [B, T, H, d_model]
     *   out = Σ_h result_h + b_O  (or z·W_O + b_O when result is not hooked)
     * </pre>
     * Linear and least-squares attention: the scores are the unnormalised mixing weights
     * (φ(q_t)·φ(k_s), resp. q_tᵀH_t⁻¹k_s; 0 above the diagonal), the pattern A the effective weights
     * (linear: divided by the row sum + ε when normalised; least squares: the scores), and
     * z_h = A V_h — by associativity the recurrent kernel's output.
     */
    private void forwardHooked(Tensor x, Block.State s, int batch, int seqLen, int layer, Tensor out, Hooks hooks) {
        qkv.forward(x, s.qkv);
        Tensor heads = s.qkv.reshape(batch, seqLen, 3, nHead, dHead);   // a view: qkv is contiguous
        hooks.fire(HookPoints.name(layer, "attn.hook_q"), heads.select(2, 0));
        hooks.fire(HookPoints.name(layer, "attn.hook_k"), heads.select(2, 1));
        hooks.fire(HookPoints.name(layer, "attn.hook_v"), heads.select(2, 2));
        Tensor patterns = s.pattern.slice(3, 0, seqLen);                  // [B, H, T, T]
        String scores = HookPoints.name(layer, "attn.hook_attn_scores");
        if (recurrent != null) {
            Parallel.forRange(batch * nHead, 1, (from, to) -> {
                for (int bh = from; bh < to; bh++) {
                    int b = bh / nHead, h = bh % nHead;
                    recurrent.scores(rows(s.qkv, b * seqLen, seqLen, h * dHead), rows(s.qkv, b * seqLen, seqLen, dModel + h * dHead),
                            seqLen, pattern(s.pattern, b, h, seqLen), h);              // φ(q)·φ(k) or q H⁻¹ k
                }
            });
            if (hooks.wants(scores)) hooks.fire(scores, patterns);
            Parallel.forRange(batch * nHead, 1, (from, to) -> {
                for (int bh = from; bh < to; bh++) recurrent.normalize(pattern(s.pattern, bh / nHead, bh % nHead, seqLen), seqLen);
            });
        } else {
            Parallel.forRange(batch * nHead, 1, (from, to) -> {
                for (int bh = from; bh < to; bh++) {
                    int b = bh / nHead, h = bh % nHead;
                    Tensor p = pattern(s.pattern, b, h, seqLen);
                    Matmul.gemm(false, true, scale, block(s.qkv, b * seqLen, seqLen, h * dHead),
                            block(s.qkv, b * seqLen, seqLen, dModel + h * dHead), 0f, p);    // S = Q Kᵀ / √d_head
                }
            });
            if (hooks.wants(scores)) {
                for (int b = 0; b < batch; b++)
                    for (int h = 0; h < nHead; h++)
                        for (int i = 0; i < seqLen; i++)
                            for (int j = i + 1; j < seqLen; j++) patterns.set(Float.NEGATIVE_INFINITY, b, h, i, j);
                hooks.fire(scores, patterns);
            }
            Parallel.forRange(batch * nHead, 1, (from, to) -> {
                for (int bh = from; bh < to; bh++) Ops.softmaxRowsInPlace(pattern(s.pattern, bh / nHead, bh % nHead, seqLen), true, 0);
            });
        }
        hooks.fire(HookPoints.name(layer, "attn.hook_pattern"), patterns);
        Parallel.forRange(batch * nHead, 1, (from, to) -> {
            for (int bh = from; bh < to; bh++) {
                int b = bh / nHead, h = bh % nHead;
                Matmul.gemm(false, false, 1f, pattern(s.pattern, b, h, seqLen), block(s.qkv, b * seqLen, seqLen, 2 * dModel + h * dHead),
                        0f, block(s.z, b * seqLen, seqLen, h * dHead));                  // z_h = P V
            }
        });
        hooks.fire(HookPoints.name(layer, "attn.hook_z"), s.z.reshape(batch, seqLen, nHead, dHead));
        String resultName = HookPoints.name(layer, "attn.hook_result");
        if (!hooks.wants(resultName)) {
            proj.forward(s.z, out);
            return;
        }
        int n = batch * seqLen;
        Tensor result = Tensor.zeros(batch, seqLen, nHead, dModel);
        Tensor perHead = result.reshape(n, nHead, dModel);
        for (int h = 0; h < nHead; h++) {
            Tensor wOh = proj.weightBf16 == null ? wO(h) : proj.weightBf16.rowsToTensor(h * dHead, (h + 1) * dHead); // [d_head, d]
            Matmul.gemm(false, false, 1f, s.z.slice(1, h * dHead, (h + 1) * dHead), wOh, 0f, perHead.select(1, h));
        }
        hooks.fire(resultName, result);
        float[] r = result.data(), o = out.contiguousData();
        int oo = out.offset();
        for (int row = 0; row < n; row++) {
            for (int j = 0; j < dModel; j++) {
                float sum = proj.bias == null ? 0f : proj.bias.get(j);
                for (int h = 0; h < nHead; h++) sum += r[(row * nHead + h) * dModel + j];
                o[oo + row * dModel + j] = sum;
            }
        }
    }

    /** Accumulates dx [B·T, d_model] (+=) and the parameter gradients from dout [B·T, d_model]. */
    void backward(Tensor dout, Tensor x, Block.State s, int batch, int seqLen, Activations.Scratch g, Tensor dx) {
        g.dz.fill(0f);
        proj.backward(dout, s.z, g.dz);
        if (recurrent != null) {
            backwardRecurrent(x, s, batch, seqLen, g, dx);
            return;
        }
        float[] qkvd = s.qkv.data(), p = s.pattern.data(), dz = g.dz.data(), dp = g.dPattern.data(), dqkv = g.dQkv.data();
        int ld = 3 * dModel, keyCap = s.pattern.dim(3);
        Parallel.forRange(batch * nHead, 1, (from, to) -> {
            for (int bh = from; bh < to; bh++) {
                int b = bh / nHead, h = bh % nHead, r = s.qkv.offset() + b * seqLen * ld + h * dHead;
                int dr = g.dQkv.offset() + b * seqLen * ld + h * dHead;
                // dP = dz_h V_hᵀ, dS = softmax'(dP), dV_h = Pᵀ dz_h, dQ_h = dS K_h / √d_head, dK_h = dSᵀ Q_h / √d_head
                AttentionKernels.backward(seqLen, dHead, scale, qkvd, r, ld, qkvd, r + dModel, ld, qkvd, r + 2 * dModel, ld,
                        p, s.pattern.offset() + bh * seqLen * keyCap, keyCap, dz, g.dz.offset() + b * seqLen * dModel + h * dHead, dModel,
                        dp, g.dPattern.offset() + bh * seqLen * seqLen, seqLen,
                        dqkv, dr, ld, dqkv, dr + dModel, ld, dqkv, dr + 2 * dModel, ld);
            }
        });
        qkv.backward(g.dQkv, x, dx);
    }

    /**
     * Softmax attention of every (sequence, head) of a full pass without a cache: s.qkv → s.pattern
     * (causal, masked entries 0) and s.z, heads in parallel, each by {@link AttentionKernels#forward}.
     */
    private void causalHeads(Block.State s, int batch, int seqLen) {
        float[] qkvd = s.qkv.data(), p = s.pattern.data(), z = s.z.data();
        int ld = 3 * dModel, keyCap = s.pattern.dim(3);
        Parallel.forRange(batch * nHead, 1, (from, to) -> {
            for (int bh = from; bh < to; bh++) {
                int b = bh / nHead, h = bh % nHead, r = s.qkv.offset() + b * seqLen * ld + h * dHead;
                AttentionKernels.forward(seqLen, dHead, scale, qkvd, r, ld, qkvd, r + dModel, ld, qkvd, r + 2 * dModel, ld,
                        p, s.pattern.offset() + bh * seqLen * keyCap, keyCap, z, s.z.offset() + b * seqLen * dModel + h * dHead, dModel);
            }
        });
    }

    /**
     * Linear or least-squares attention without hooks: each head's z from its q, k, v by the kernel's
     * recurrence; with a cache (batch 1), the heads' states continue from the cached prefix.
     */
    private void forwardRecurrent(Tensor x, Block.State s, int batch, int seqLen, KvCache cache, int layer, Tensor out) {
        qkv.forward(x, s.qkv);
        double[][] states = cache == null ? null : cache.states(layer);
        Parallel.forRange(batch * nHead, 1, (from, to) -> {
            for (int bh = from; bh < to; bh++) {
                int b = bh / nHead, h = bh % nHead, r = b * seqLen;
                HeadRows q = rows(s.qkv, r, seqLen, h * dHead), k = rows(s.qkv, r, seqLen, dModel + h * dHead),
                        v = rows(s.qkv, r, seqLen, 2 * dModel + h * dHead), z = rows(s.z, r, seqLen, h * dHead);
                if (states == null) {
                    recurrent.forward(q, k, v, seqLen, z, h);
                } else {
                    if (states[h] == null) states[h] = recurrent.newState(h);
                    for (int t = 0; t < seqLen; t++) recurrent.step(states[h], q, k, v, t, z);   // O(d_head²) per token
                }
            }
        });
        proj.forward(s.z, out);
    }

    /** Backward of {@link #forwardRecurrent} (no cache): dz is in g.dz; q, k, v gradients go to g.dQkv. */
    private void backwardRecurrent(Tensor x, Block.State s, int batch, int seqLen, Activations.Scratch g, Tensor dx) {
        double[] dLogAlpha = new double[batch * nHead];
        Parallel.forRange(batch * nHead, 1, (from, to) -> {
            for (int bh = from; bh < to; bh++) {
                int b = bh / nHead, h = bh % nHead, r = b * seqLen;
                dLogAlpha[bh] = recurrent.backward(rows(s.qkv, r, seqLen, h * dHead), rows(s.qkv, r, seqLen, dModel + h * dHead),
                        rows(s.qkv, r, seqLen, 2 * dModel + h * dHead), rows(s.z, r, seqLen, h * dHead),
                        rows(g.dz, r, seqLen, h * dHead), seqLen, rows(g.dQkv, r, seqLen, h * dHead),
                        rows(g.dQkv, r, seqLen, dModel + h * dHead), rows(g.dQkv, r, seqLen, 2 * dModel + h * dHead), h);
            }
        });
        if (logAlphaGrad != null) {
            for (int bh = 0; bh < batch * nHead; bh++) {
                int h = bh % nHead;
                logAlphaGrad.set((float) (logAlphaGrad.get(h) + dLogAlpha[bh]), h);
            }
        }
        qkv.backward(g.dQkv, x, dx);
    }

    private HeadRows rows(Tensor m, int row, int n, int col) {
        return HeadRows.of(block(m, row, n, col));
    }

    /**
     * The buffers for running this layer on its own, outside a {@link Gpt} (e.g. on continuous
     * tokens, as the in-context regression experiment does): q|k|v, pattern, z and the gradient
     * scratch for B sequences of T positions. Reuse one per (B, T).
     */
    public static final class Workspace {
        final Block.State state;
        final Activations.Scratch scratch;
        public final int batch, seqLen;

        public Workspace(Attention a, int batch, int seqLen) {
            GptConfig c = new GptConfig(1, seqLen, a.dModel, 1, a.nHead, 1, 1e-5f, true, GptConfig.Norm.POST,
                    GptConfig.Mlp.NONE, GptConfig.Positional.NONE, a.kind);
            this.batch = batch;
            this.seqLen = seqLen;
            this.state = new Block.State(c, batch, seqLen, seqLen);
            this.scratch = new Activations.Scratch(c, batch, seqLen);
        }
    }

    /** out [B·T, d_model] = Attention(x [B·T, d_model]) on the workspace's B sequences of T positions. */
    public void forward(Tensor x, Workspace w, Tensor out) {
        forward(x, w.state, w.batch, w.seqLen, null, 0, out, null);
    }

    /** After {@link #forward(Tensor, Workspace, Tensor)} on x: accumulates dx (+=) and the parameter gradients from dout. */
    public void backward(Tensor dout, Tensor x, Workspace w, Tensor dx) {
        backward(dout, x, w.state, w.batch, w.seqLen, w.scratch, dx);
    }

    /** Rows [row, row + n) and columns [col, col + d_head) of a matrix: a row-dense view. */
    private Tensor block(Tensor m, int row, int n, int col) {
        return m.slice(0, row, row + n).slice(1, col, col + dHead);
    }

    private static Tensor pattern(Tensor all, int b, int h, int keyLen) {
        return all.select(0, b).select(0, h).slice(1, 0, keyLen);
    }
}
