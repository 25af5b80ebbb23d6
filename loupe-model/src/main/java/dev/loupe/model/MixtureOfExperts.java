package dev.loupe.model;

import dev.loupe.LoupeException;
import dev.loupe.tensor.Tensor;

import java.util.Arrays;

/**
 * A mixture-of-experts MLP (SPEC §"Variants"; Shazeer et al. 2017, Switch, Mixtral): a router
 * W_gate sends each position to k of E expert MLPs and adds their outputs, weighted.
 *
 * <pre>
 *   g   = u · W_gate                                   // router logits [N, E]   (hook_router_logits)
 *   p   = softmax(g)                                   // [N, E]
 *   K_t = the k experts with the largest p_t          // (hook_expert_indices [N, k])
 *   w   = p_e / Σ_{j∈K_t} p_j  for e ∈ K_t            // renormalised kept weights (hook_expert_weights [N, k])
 *   R   = the dense routing matrix [N, E]: R[t, e] = w_e if e ∈ K_t else 0
 *   out = Σ_e diag(R[:, e]) · Expert_e(u)             // the block-diagonal dispatch identity
 * </pre>
 * {@code topk_softmax} computes w as softmax over the kept logits only; since
 * p_e / Σ_K p_j = exp(g_e) / Σ_K exp(g_j), it is the same function of g (also its gradient).
 *
 * <p><b>Dispatch.</b> The forward never runs an expert on a token not routed to it: the (token,
 * choice) slots are sorted by expert (counting sort), each expert's rows are gathered into one
 * contiguous block, the expert runs as two GEMMs on its n_e rows, and the outputs are scatter-added
 * with their weights. A step costs ≈ k/E of running every expert on every token, plus the router.
 *
 * <p><b>Capacity.</b> With {@code capacity_factor} c and {@link #dropOverCapacity(boolean)} on (the
 * model turns it on for training steps only), expert e accepts at most C = ⌈c·N·k/E⌉ slots; slots are
 * admitted choice by choice (every token's first choice before any second choice), in position order.
 * A dropped slot adds nothing (the kept weights are not renormalised again); a token whose every
 * slot is dropped passes through the residual only. Analysis passes and generation route every token.
 *
 * <p><b>Auxiliary losses</b> (computed on every forward, over its N positions; their gradients are
 * added by {@link #backward}):
 * <pre>
 *   aux = α · E · Σ_e f_e · P_e     f_e = (slots routed to e) / (N·k),  P_e = mean_t p_{t,e}   (f is not differentiated)
 *   z   = β · mean_t logsumexp(g_t)²
 *   d aux / d p_{t,e} = α·E·f_e / N        d z / d g_{t,e} = 2β·lse_t·p_{t,e} / N
 * </pre>
 *
 * <p><b>Backward</b> (dout [N, d] given):
 * <pre>
 *   dY_s   = w_s · dout_t                               (per kept slot s = (t, choice))
 *   dw_s   = dout_t · Y_s                               (Y_s = Expert_e(u_t), kept from forward)
 *   expert backward on its rows; du_t += Σ_s dX_s
 *   dg_{t,e} = w_e · (dw_e − Σ_{j∈K_t} w_j dw_j)        (e ∈ K_t; through the renormalisation and the softmax)
 *            + p_{t,e}·(a_e − Σ_j p_{t,j} a_j) with a_e = α·E·f_e/N    (aux)
 *            + 2β·lse_t·p_{t,e}/N                                      (z)
 *   dW_gate += uᵀ · dg,   du += dg · W_gateᵀ
 * </pre>
 *
 * <p><b>State.</b> The mixture keeps the routing and expert activations of its last forward pass
 * (in buffers grown on demand and reused) for the backward pass that follows it and for
 * {@link #lastRouting()} / {@link #routedTokens(int)}. Like {@link Gpt}, one pass at a time.
 */
public final class MixtureOfExperts {
    /** The experts' MLP kind (GELU, ReLU, SwiGLU), the model's. */
    public final GptConfig.Mlp kind;
    public final MoeSettings settings;
    /** W_gate [d_model, E] (Conv1D orientation, no bias): {@code h.{i}.mlp.gate.weight}. */
    public final Linear gate;
    /** Expert e: a dense MLP of width d_expert, {@code h.{i}.mlp.experts.{e}.c_fc|c_proj}. */
    public final Mlp[] experts;

    private final int dModel, nExperts, topK, dExpert, up;
    private boolean dropping;

    // ---- the last forward pass (capacity = rows the buffers hold)
    private int rows, capacity = -1;
    private float[] logits, probs, lse;      // [N, E], [N, E], [N]
    private int[] index;                      // [N·k] expert of (token, choice)
    private float[] weight;                   // [N·k] renormalised kept weight of (token, choice)
    private int[] slot;                       // [N·k] packed row of (token, choice), −1 when dropped
    private int[] slotToken;                  // [N·k] packed row → token
    private int[] start = new int[1];         // [E + 1] first packed row of each expert
    private int[] routed;                     // [E] slots the router chose for e (before capacity)
    private int dropped;
    private double auxLoss, zLoss;
    private Tensor xPacked, pre, post, yPacked;      // [N·k, d], [N·k, up], [N·k, d_e], [N·k, d]
    private Tensor dY, dPost, dPre, dX, dGate;       // backward scratch: packed rows; dGate [N, E]

    /** A mixture over live parameter tensors: the router and E experts of kind {@code kind}. */
    public MixtureOfExperts(GptConfig.Mlp kind, MoeSettings settings, Linear gate, Mlp[] experts) {
        if (experts.length != settings.experts()) {
            throw new IllegalArgumentException("expected " + settings.experts() + " experts, got " + experts.length);
        }
        this.kind = kind;
        this.settings = settings;
        this.gate = gate;
        this.experts = experts.clone();
        this.dModel = gate.inFeatures();
        this.nExperts = settings.experts();
        this.topK = settings.topK();
        this.dExpert = settings.dExpert();
        this.up = kind == GptConfig.Mlp.SWIGLU ? 2 * dExpert : dExpert;
    }

    /** Turns the capacity limit on (training steps) or off (every other pass); no effect without capacity_factor. */
    void dropOverCapacity(boolean on) {
        this.dropping = on;
    }

    /** The per-expert capacity C = ⌈c·N·k/E⌉ for N positions, or {@code Integer.MAX_VALUE} when not limited. */
    public int capacity(int n) {
        Float c = settings.capacityFactor();
        if (c == null || !dropping) return Integer.MAX_VALUE;
        double factor = Double.parseDouble(Float.toString(c));   // the decimal of config.json (0.6, not 0.6000000238)
        return (int) Math.ceil(factor * n * topK / nExperts);
    }

    // ---------------------------------------------------------------- routing as a pure function

    /**
     * The routing of positions u [N, d_model] (the MLP's input, {@code ln2.hook_normalized}), computed
     * afresh without touching the pass state: logits g and probabilities p [N, E], the chosen experts
     * and their renormalised weights [N, k] (in order of decreasing p; ties go to the lower index),
     * and the dense routing matrix R [N, E].
     */
    public Routing route(Tensor u) {
        int n = u.dim(0);
        Tensor g = Tensor.zeros(n, nExperts);
        gate.forward(u, g);
        float[] p = new float[n * nExperts], l = new float[n];
        int[] idx = new int[n * topK];
        float[] w = new float[n * topK];
        route(g.data(), n, p, l, idx, w);
        return Routing.of(g, Tensor.of(p, n, nExperts), idx, Tensor.of(w, n, topK), nExperts);
    }

    /** p = softmax(g), lse, top-k indices and renormalised weights for rows of g [n, E]. */
    private void route(float[] g, int n, float[] p, float[] lseOut, int[] idx, float[] w) {
        for (int t = 0; t < n; t++) {
            int o = t * nExperts;
            float max = Float.NEGATIVE_INFINITY;
            for (int e = 0; e < nExperts; e++) max = Math.max(max, g[o + e]);
            double sum = 0;
            for (int e = 0; e < nExperts; e++) sum += Math.exp(g[o + e] - max);
            lseOut[t] = (float) (max + Math.log(sum));
            for (int e = 0; e < nExperts; e++) p[o + e] = (float) (Math.exp(g[o + e] - max) / sum);
            topK(g, o, idx, t * topK);
            keptWeights(g, p, o, idx, w, t * topK);
        }
    }

    /** The k largest of g[o .. o+E) into idx[at .. at+k), largest first, lower index on ties. */
    private void topK(float[] g, int o, int[] idx, int at) {
        for (int c = 0; c < topK; c++) {
            int best = -1;
            for (int e = 0; e < nExperts; e++) {
                if (contains(idx, at, c, e)) continue;
                if (best < 0 || g[o + e] > g[o + best]) best = e;
            }
            idx[at + c] = best;
        }
    }

    private static boolean contains(int[] a, int from, int count, int v) {
        for (int i = 0; i < count; i++) if (a[from + i] == v) return true;
        return false;
    }

    /** w for the chosen experts: p renormalised over K (softmax_topk) or softmax of the kept g (topk_softmax). */
    private void keptWeights(float[] g, float[] p, int o, int[] idx, float[] w, int at) {
        double sum = 0;
        if (settings.router() == MoeSettings.Router.SOFTMAX_TOPK) {
            for (int c = 0; c < topK; c++) sum += p[o + idx[at + c]];
            for (int c = 0; c < topK; c++) w[at + c] = (float) (p[o + idx[at + c]] / sum);
        } else {
            float max = g[o + idx[at]];                                 // the largest kept logit
            for (int c = 0; c < topK; c++) sum += Math.exp(g[o + idx[at + c]] - max);
            for (int c = 0; c < topK; c++) w[at + c] = (float) (Math.exp(g[o + idx[at + c]] - max) / sum);
        }
    }

    /** Expert e on every row of u [N, d_model]: Expert_e(u) [N, d_model] (a fresh tensor; for analysis). */
    public Tensor expertOutput(int e, Tensor u) {
        int n = u.dim(0);
        Tensor h = Tensor.zeros(n, up), a = Tensor.zeros(n, dExpert), y = Tensor.zeros(n, dModel);
        experts[e].forward(u, h, a, y);
        return y;
    }

    // ---------------------------------------------------------------- forward

    /** out [N, d] = MoE(u [N, d]), keeping the pass for backward. */
    void forward(Tensor u, Tensor out) {
        forward(u, out, null, -1, 1, u.dim(0));
    }

    /**
     * As above, firing (when {@code hooks} is not null) {@code blocks.{layer}.mlp.hook_router_logits}
     * [B, T, E], {@code hook_expert_indices} and {@code hook_expert_weights} [B, T, k] (indices as
     * floats; in this order), then per expert {@code mlp.experts.{e}.hook_pre} [n_e, d_e or 2·d_e] and
     * {@code hook_post} [n_e, d_e] on the rows routed to it (in position order, see
     * {@link #routedTokens}). Edits take effect: edited logits are routed afresh, edited weights
     * and indices are used as they are (an index must be a whole number in 0..E−1), which is how an
     * expert is ablated (weight 0) or forced (index e).
     */
    void forward(Tensor u, Tensor out, Hooks hooks, int layer, int batch, int seqLen) {
        int n = u.dim(0);
        ensure(n);
        rows = n;
        Tensor g = Tensor.wrap(logits, 0, n, nExperts);
        gate.forward(u, g);                                                       // g = u·W_gate  [N, E]
        if (hooks != null) hooks.fire(HookPoints.name(layer, "mlp.hook_router_logits"), g.reshape(batch, seqLen, nExperts));
        route(logits, n, probs, lse, index, weight);                              // p, top-k, w
        if (hooks != null) fireRouting(hooks, layer, batch, seqLen);
        losses(n);
        dispatch(n);
        gather(u);
        for (int e = 0; e < nExperts; e++) runExpert(e, hooks, layer);
        combine(out);
    }

    /** hook_expert_indices, then hook_expert_weights (so a weights hook can act on the experts the indices name). */
    private void fireRouting(Hooks hooks, int layer, int batch, int seqLen) {
        int n = rows;
        String name = HookPoints.name(layer, "mlp.hook_expert_indices");
        if (hooks.wants(name)) {
            Tensor idx = Tensor.zeros(batch, seqLen, topK);
            float[] d = idx.data();
            for (int i = 0; i < n * topK; i++) d[i] = index[i];
            hooks.fire(name, idx);
            for (int i = 0; i < n * topK; i++) {
                float v = d[i];
                if (v != Math.rint(v) || v < 0 || v >= nExperts) {
                    throw new LoupeException(name + ": an expert index must be a whole number in 0.." + (nExperts - 1) + ", got " + v);
                }
                index[i] = (int) v;
            }
        }
        hooks.fire(HookPoints.name(layer, "mlp.hook_expert_weights"), Tensor.wrap(weight, 0, n * topK).reshape(batch, seqLen, topK));
    }

    /** aux and z for the current pass. */
    private void losses(int n) {
        Arrays.fill(routed, 0);
        for (int i = 0; i < n * topK; i++) routed[index[i]]++;
        double aux = 0;
        for (int e = 0; e < nExperts; e++) {
            double pe = 0;
            for (int t = 0; t < n; t++) pe += probs[t * nExperts + e];
            aux += (routed[e] / ((double) n * topK)) * (pe / n);                 // f_e · P_e
        }
        auxLoss = settings.auxLossCoef() * nExperts * aux;
        double z = 0;
        for (int t = 0; t < n; t++) z += (double) lse[t] * lse[t];
        zLoss = settings.zLossCoef() * z / n;
    }

    /** Counting sort of the (token, choice) slots by expert, dropping slots beyond capacity. */
    private void dispatch(int n) {
        int cap = capacity(n);
        int[] kept = new int[nExperts];
        dropped = 0;
        for (int c = 0; c < topK; c++) {                                          // first choices first
            for (int t = 0; t < n; t++) {
                int s = t * topK + c, e = index[s];
                if (kept[e] < cap) {
                    kept[e]++;
                    slot[s] = 0;
                } else {
                    slot[s] = -1;
                    dropped++;
                }
            }
        }
        start[0] = 0;
        for (int e = 0; e < nExperts; e++) start[e + 1] = start[e] + kept[e];
        int[] fill = Arrays.copyOf(start, nExperts);
        for (int s = 0; s < n * topK; s++) {                                      // position order within an expert
            if (slot[s] < 0) continue;
            int r = fill[index[s]]++;
            slot[s] = r;
            slotToken[r] = s / topK;
        }
    }

    /** xPacked[r] = u[token of r]. */
    private void gather(Tensor u) {
        float[] src = u.contiguousData(), dst = xPacked.data();
        int used = start[nExperts];
        for (int r = 0; r < used; r++) System.arraycopy(src, slotToken[r] * dModel, dst, r * dModel, dModel);
    }

    private void runExpert(int e, Hooks hooks, int layer) {
        int from = start[e], m = start[e + 1] - from;
        if (m == 0 && hooks == null) return;
        Mlp x = experts[e];
        Tensor xe = rowsOf(xPacked, from, m), he = rowsOf(pre, from, m), ae = rowsOf(post, from, m), ye = rowsOf(yPacked, from, m);
        x.fc.forward(xe, he);                                                     // [n_e, up]
        if (hooks != null) hooks.fire(HookPoints.name(layer, "mlp.experts." + e + ".hook_pre"), he);
        x.activate(he, ae);                                                       // [n_e, d_e]
        if (hooks != null) hooks.fire(HookPoints.name(layer, "mlp.experts." + e + ".hook_post"), ae);
        x.proj.forward(ae, ye);                                                   // [n_e, d]
    }

    /** out[t] = Σ over t's kept slots of w · Y. */
    private void combine(Tensor out) {
        out.fill(0f);
        float[] o = out.data(), y = yPacked.data();
        int oo = out.offset();
        for (int s = 0; s < rows * topK; s++) {
            int r = slot[s];
            if (r < 0) continue;
            float w = weight[s];
            int to = oo + (s / topK) * dModel, from = r * dModel;
            for (int j = 0; j < dModel; j++) o[to + j] += w * y[from + j];
        }
    }

    private static Tensor rowsOf(Tensor packed, int from, int m) {
        int width = packed.dim(1);
        return Tensor.wrap(packed.data(), from * width, m, width);
    }

    private void ensure(int n) {
        if (n <= capacity) return;
        int slots = n * topK;
        logits = new float[n * nExperts];
        probs = new float[n * nExperts];
        lse = new float[n];
        index = new int[slots];
        weight = new float[slots];
        slot = new int[slots];
        slotToken = new int[slots];
        start = new int[nExperts + 1];
        routed = new int[nExperts];
        xPacked = Tensor.zeros(slots, dModel);
        pre = Tensor.zeros(slots, up);
        post = Tensor.zeros(slots, dExpert);
        yPacked = Tensor.zeros(slots, dModel);
        dY = dPost = dPre = dX = dGate = null;
        capacity = n;
    }

    // ---------------------------------------------------------------- backward

    /**
     * Accumulates du [N, d] (+=) and every parameter gradient from dout [N, d], for the last forward
     * pass on u, adding the gradients of this layer's aux and z losses.
     */
    void backward(Tensor dout, Tensor u, Tensor du) {
        int n = rows;
        if (u.dim(0) != n) throw new IllegalStateException("backward on " + u.dim(0) + " rows after a forward on " + n);
        if (dY == null) {
            int slots = capacity * topK;
            dY = Tensor.zeros(slots, dModel);
            dPost = Tensor.zeros(slots, dExpert);
            dPre = Tensor.zeros(slots, up);
            dX = Tensor.zeros(slots, dModel);
            dGate = Tensor.zeros(capacity, nExperts);
        }
        float[] g = dout.contiguousData(), y = yPacked.data(), dy = dY.data();
        float[] dw = new float[n * topK];
        for (int s = 0; s < n * topK; s++) {
            int r = slot[s];
            if (r < 0) continue;
            int t = (s / topK) * dModel, ro = r * dModel;
            float w = weight[s];
            double dot = 0;
            for (int j = 0; j < dModel; j++) {
                dot += g[t + j] * y[ro + j];                                       // dw = dout · Y
                dy[ro + j] = w * g[t + j];                                         // dY = w · dout
            }
            dw[s] = (float) dot;
        }
        for (int e = 0; e < nExperts; e++) {
            int from = start[e], m = start[e + 1] - from;
            if (m == 0) continue;
            Tensor dxe = rowsOf(dX, from, m).fill(0f);
            experts[e].backward(rowsOf(dY, from, m), rowsOf(xPacked, from, m), rowsOf(pre, from, m), rowsOf(post, from, m),
                    rowsOf(dPost, from, m), rowsOf(dPre, from, m), dxe);
        }
        float[] dx = du.data(), dxp = dX.data();
        int duo = du.offset();
        for (int r = 0; r < start[nExperts]; r++) {                               // scatter-add du
            int to = duo + slotToken[r] * dModel, from = r * dModel;
            for (int j = 0; j < dModel; j++) dx[to + j] += dxp[from + j];
        }
        Tensor dg = Tensor.wrap(dGate.data(), 0, n, nExperts);
        routerGradient(dw, n, dg.data());
        gate.backward(dg, u, du);                                                  // dW_gate, du += dg·W_gateᵀ
    }

    /** dg [N, E] (overwritten) from the kept weights' gradients and the aux and z losses. */
    private void routerGradient(float[] dw, int n, float[] dg) {
        float[] a = new float[nExperts];
        for (int e = 0; e < nExperts; e++) {
            a[e] = (float) (settings.auxLossCoef() * nExperts * (routed[e] / ((double) n * topK)) / n);
        }
        double zScale = 2.0 * settings.zLossCoef() / n;
        for (int t = 0; t < n; t++) {
            int o = t * nExperts, at = t * topK;
            double pa = 0;
            for (int e = 0; e < nExperts; e++) pa += probs[o + e] * a[e];
            for (int e = 0; e < nExperts; e++) {
                float p = probs[o + e];
                dg[o + e] = (float) (p * (a[e] - pa) + zScale * lse[t] * p);
            }
            double c = 0;
            for (int k = 0; k < topK; k++) c += weight[at + k] * dw[at + k];
            for (int k = 0; k < topK; k++) dg[o + index[at + k]] += (float) (weight[at + k] * (dw[at + k] - c));
        }
    }

    // ---------------------------------------------------------------- the last pass, read

    /** The routing of the last forward pass (copies): as {@link #route}, after any hook edits. */
    public Routing lastRouting() {
        int n = rows;
        return Routing.of(Tensor.of(Arrays.copyOf(logits, n * nExperts), n, nExperts),
                Tensor.of(Arrays.copyOf(probs, n * nExperts), n, nExperts), Arrays.copyOf(index, n * topK),
                Tensor.of(Arrays.copyOf(weight, n * topK), n, topK), nExperts);
    }

    /**
     * The rows (positions b·T + t) routed to expert e in the last forward pass, in the order of the
     * rows of its {@code hook_pre}/{@code hook_post} activations; dropped slots excluded.
     */
    public int[] routedTokens(int e) {
        return Arrays.copyOfRange(slotToken, start[e], start[e + 1]);
    }

    /** The aux load-balancing loss of the last forward pass (α·E·Σ f_e·P_e; 0 when α = 0). */
    public double auxLoss() {
        return auxLoss;
    }

    /** The router z-loss of the last forward pass (β·mean lse²; 0 when β = 0). */
    public double zLoss() {
        return zLoss;
    }

    /** (token, choice) slots dropped over capacity in the last forward pass. */
    public int dropped() {
        return dropped;
    }

    /** (token, choice) slots of the last forward pass: N·k. */
    public int slots() {
        return rows * topK;
    }

    /** Positions of the last forward pass routed to each expert by the router (before capacity) [E]. */
    public int[] load() {
        return routed.clone();
    }
}
