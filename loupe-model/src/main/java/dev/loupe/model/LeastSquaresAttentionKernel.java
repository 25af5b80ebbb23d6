package dev.loupe.model;

import dev.loupe.tensor.Tensor;

/**
 * Causal least-squares attention (Garnelo &amp; Czarnecki), one head: the output at t is the query
 * read through the ridge-regression solution fitted to the keys and values seen so far,
 * <pre>
 *   H_t = αI + Σ_{s≤t} k_s k_sᵀ   [d_head, d_head],   G_t = Σ_{s≤t} k_s v_sᵀ   [d_head, d_head]
 *   out_t = q_tᵀ H_t⁻¹ G_t  =  Σ_{s≤t} (q_tᵀH_t⁻¹k_s) v_s       so A[t, s] = q_tᵀH_t⁻¹k_s
 * </pre>
 * (over a whole sequence: the primal Q(KᵀK + αI)⁻¹KᵀV, equal to the dual QKᵀ(KKᵀ + αI)⁻¹V). As α → ∞,
 * α·out → the unnormalised identity-feature linear attention q_tᵀG_t.
 *
 * <p>P_t = H_t⁻¹ is kept by Sherman–Morrison rank-1 updates, O(d_head²) per position:
 * u = P_{t−1}k_t, P_t = P_{t−1} − u uᵀ/(1 + k_tᵀu). Backward, with g_t = dL/dout_t, w_t = P_t q_t:
 * <pre>
 *   dw_t = G_t g_t,   dq_t = m_t = P_t dw_t,   dH_t = −m_t w_tᵀ,   dG_t = w_t g_tᵀ,   dα = Σ_t tr dH_t
 *   M_s = Σ_{t≥s} dH_t,  N_s = Σ_{t≥s} dG_t:   dk_s = (M_s + M_sᵀ)k_s + N_s v_s,   dv_s = N_sᵀ k_s
 * </pre>
 * α per head is the fixed {@code ls_alpha} or exp of the learned {@code ls_log_alpha[h]} (so it stays
 * positive); then d loss / d log α = α·dα.
 */
final class LeastSquaresAttentionKernel extends RecurrentAttentionKernel {
    private final float fixedAlpha;
    /** [n_head] learned log α, or null for the fixed α. */
    private final Tensor logAlpha;

    LeastSquaresAttentionKernel(int dHead, float fixedAlpha, Tensor logAlpha) {
        super(dHead);
        this.fixedAlpha = fixedAlpha;
        this.logAlpha = logAlpha;
    }

    /** α of head h. */
    double alpha(int head) {
        return logAlpha == null ? fixedAlpha : Math.exp(logAlpha.get(head));
    }

    // state layout: P = H⁻¹ [d·d] | G [d·d] | scratch u, w, k, v, q, acc [d] each. Inner loops run
    // along rows of float64 arrays (axpy and row dots), so that the JIT vectorises them.
    private int uo() { return 2 * dHead * dHead; }

    @Override
    double[] newState(int head) {
        int d = dHead;
        double[] st = new double[2 * d * d + 6 * d];
        double inv = 1 / alpha(head);
        for (int i = 0; i < d; i++) st[i * d + i] = inv;
        return st;
    }

    /** Adds k_t (and v_t into G when {@code v} is not null) to the state: P ← (P⁻¹ + k kᵀ)⁻¹, G += k vᵀ. */
    private void add(double[] st, HeadRows k, HeadRows v, int t) {
        int d = dHead, go = d * d, uo = uo(), ko = uo + 2 * d, vo = ko + d;
        float[] kk = k.a();
        int kt = k.at(t);
        for (int i = 0; i < d; i++) st[ko + i] = kk[kt + i];
        double c = 1;
        for (int i = 0; i < d; i++) {                                      // u = P k
            double ui = 0;
            int row = i * d;
            for (int j = 0; j < d; j++) ui += st[row + j] * st[ko + j];
            st[uo + i] = ui;
            c += st[ko + i] * ui;
        }
        for (int i = 0; i < d; i++) {                                      // P −= u uᵀ / (1 + kᵀu)
            double ui = st[uo + i] / c;
            int row = i * d;
            for (int j = 0; j < d; j++) st[row + j] -= ui * st[uo + j];
        }
        if (v == null) return;
        float[] vv = v.a();
        int vt = v.at(t);
        for (int i = 0; i < d; i++) st[vo + i] = vv[vt + i];
        for (int i = 0; i < d; i++) {                                      // G += k vᵀ
            double ki = st[ko + i];
            int row = go + i * d;
            for (int j = 0; j < d; j++) st[row + j] += ki * st[vo + j];
        }
    }

    /** w = P q_t into {@code w} from offset {@code wo}. */
    private void solve(double[] st, HeadRows q, int t, double[] w, int wo) {
        int d = dHead, qo = uo() + 4 * d;
        float[] qq = q.a();
        int qt = q.at(t);
        for (int i = 0; i < d; i++) st[qo + i] = qq[qt + i];
        for (int i = 0; i < d; i++) {
            double s = 0;
            int row = i * d;
            for (int j = 0; j < d; j++) s += st[row + j] * st[qo + j];
            w[wo + i] = s;
        }
    }

    @Override
    void step(double[] st, HeadRows q, HeadRows k, HeadRows v, int t, HeadRows out) {
        int d = dHead, go = d * d, wo = uo() + d, acc = uo() + 5 * d;
        add(st, k, v, t);
        solve(st, q, t, st, wo);
        java.util.Arrays.fill(st, acc, acc + d, 0);
        for (int i = 0; i < d; i++) {                                      // out = Gᵀ w
            double wi = st[wo + i];
            int row = go + i * d;
            for (int j = 0; j < d; j++) st[acc + j] += wi * st[row + j];
        }
        float[] o = out.a();
        int ot = out.at(t);
        for (int j = 0; j < d; j++) o[ot + j] = (float) st[acc + j];
    }

    @Override
    double backward(HeadRows q, HeadRows k, HeadRows v, HeadRows out, HeadRows dout, int seqLen,
                    HeadRows dq, HeadRows dk, HeadRows dv, int head) {
        int d = dHead, go = d * d;
        double[] st = newState(head);
        double[] w = new double[seqLen * d], m = new double[seqLen * d], dw = new double[d], g = new double[d];
        float[] gg = dout.a(), dqa = dq.a();
        double dAlpha = 0;
        // sweep 1, t = 0 … T−1: rebuild P_t, G_t; w_t, m_t = dq_t
        for (int t = 0; t < seqLen; t++) {
            add(st, k, v, t);
            solve(st, q, t, w, t * d);
            int gt = dout.at(t), dqt = dq.at(t), mt = t * d;
            for (int j = 0; j < d; j++) g[j] = gg[gt + j];
            for (int i = 0; i < d; i++) {                                  // dw = G g
                double s = 0;
                int row = go + i * d;
                for (int j = 0; j < d; j++) s += st[row + j] * g[j];
                dw[i] = s;
            }
            for (int i = 0; i < d; i++) {                                  // m = P dw
                double s = 0;
                int row = i * d;
                for (int j = 0; j < d; j++) s += st[row + j] * dw[j];
                m[mt + i] = s;
                dqa[dqt + i] = (float) s;
                dAlpha -= s * w[mt + i];                                   // tr(dH_t) = −m·w
            }
        }
        // sweep 2, s = T−1 … 0: M_s, N_s; dk = (M + Mᵀ) k + N v, dv = Nᵀ k
        double[] mm = new double[d * d], nn = new double[d * d], kd = new double[d], vd = new double[d];
        double[] mtk = new double[d], ntk = new double[d];
        float[] kk = k.a(), vv = v.a(), dka = dk.a(), dva = dv.a();
        for (int t = seqLen - 1; t >= 0; t--) {
            int gt = dout.at(t), kt = k.at(t), vt = v.at(t), dkt = dk.at(t), dvt = dv.at(t), wt = t * d;
            for (int j = 0; j < d; j++) {
                g[j] = gg[gt + j];
                kd[j] = kk[kt + j];
                vd[j] = vv[vt + j];
                mtk[j] = 0;
                ntk[j] = 0;
            }
            for (int i = 0; i < d; i++) {
                double mi = m[wt + i], wi = w[wt + i], ki = kd[i];
                int row = i * d;
                for (int j = 0; j < d; j++) mm[row + j] -= mi * w[wt + j];       // M += −m wᵀ
                for (int j = 0; j < d; j++) nn[row + j] += wi * g[j];            // N += w gᵀ
                for (int j = 0; j < d; j++) mtk[j] += mm[row + j] * ki;          // Mᵀ k
                for (int j = 0; j < d; j++) ntk[j] += nn[row + j] * ki;          // Nᵀ k
            }
            for (int i = 0; i < d; i++) {                                      // dk = M k + Mᵀ k + N v
                double s = mtk[i];
                int row = i * d;
                for (int j = 0; j < d; j++) s += mm[row + j] * kd[j] + nn[row + j] * vd[j];
                dka[dkt + i] = (float) s;
            }
            for (int j = 0; j < d; j++) dva[dvt + j] = (float) ntk[j];
        }
        return logAlpha == null ? 0 : alpha(head) * dAlpha;
    }

    @Override
    void scores(HeadRows q, HeadRows k, int seqLen, Tensor scores, int head) {
        int d = dHead;
        double[] st = newState(head), w = new double[d];
        float[] p = scores.data(), kk = k.a();
        int po = scores.offset(), ps = scores.stride(0);
        for (int t = 0; t < seqLen; t++) {
            add(st, k, null, t);                                           // P only: A needs no G
            solve(st, q, t, w, 0);
            for (int u = 0; u < seqLen; u++) {
                p[po + t * ps + u] = u <= t ? (float) RecurrentAttentionKernel.dot(kk, k.at(u), w, d) : 0f;
            }
        }
    }

    @Override
    void normalize(Tensor scores, int seqLen) {
        float[] p = scores.data();
        int po = scores.offset(), ps = scores.stride(0);
        for (int t = 0; t < seqLen; t++) {
            for (int u = t + 1; u < seqLen; u++) p[po + t * ps + u] = 0;   // causal, whatever a hook wrote
        }
    }
}
