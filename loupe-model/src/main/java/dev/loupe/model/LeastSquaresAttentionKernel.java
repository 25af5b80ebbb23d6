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

    // state layout: P = H⁻¹ [d·d] | G [d·d] | scratch u [d] | scratch w [d]

    @Override
    double[] newState(int head) {
        int d = dHead;
        double[] st = new double[2 * d * d + 2 * d];
        double inv = 1 / alpha(head);
        for (int i = 0; i < d; i++) st[i * d + i] = inv;
        return st;
    }

    /** Adds k_t (and v_t into G when {@code v} is not null) to the state: P ← (P⁻¹ + k kᵀ)⁻¹, G += k vᵀ. */
    private void add(double[] st, HeadRows k, HeadRows v, int t) {
        int d = dHead, go = d * d, uo = 2 * d * d;
        float[] kk = k.a();
        int kt = k.at(t);
        double c = 1;
        for (int i = 0; i < d; i++) {                                      // u = P k
            double ui = 0;
            int row = i * d;
            for (int j = 0; j < d; j++) ui += st[row + j] * kk[kt + j];
            st[uo + i] = ui;
            c += kk[kt + i] * ui;
        }
        for (int i = 0; i < d; i++) {                                      // P −= u uᵀ / (1 + kᵀu)
            double ui = st[uo + i] / c;
            int row = i * d;
            for (int j = 0; j < d; j++) st[row + j] -= ui * st[uo + j];
        }
        if (v == null) return;
        float[] vv = v.a();
        int vt = v.at(t);
        for (int i = 0; i < d; i++) {                                      // G += k vᵀ
            double ki = kk[kt + i];
            int row = go + i * d;
            for (int j = 0; j < d; j++) st[row + j] += ki * vv[vt + j];
        }
    }

    /** w = P q_t into {@code w}. */
    private void solve(double[] st, HeadRows q, int t, double[] w, int wo) {
        int d = dHead;
        float[] qq = q.a();
        int qt = q.at(t);
        for (int i = 0; i < d; i++) {
            double s = 0;
            int row = i * d;
            for (int j = 0; j < d; j++) s += st[row + j] * qq[qt + j];
            w[wo + i] = s;
        }
    }

    @Override
    void step(double[] st, HeadRows q, HeadRows k, HeadRows v, int t, HeadRows out) {
        int d = dHead, go = d * d, wo = 2 * d * d + d;
        add(st, k, v, t);
        solve(st, q, t, st, wo);
        float[] o = out.a();
        int ot = out.at(t);
        for (int j = 0; j < d; j++) {                                      // out = Gᵀ w
            double s = 0;
            for (int i = 0; i < d; i++) s += st[wo + i] * st[go + i * d + j];
            o[ot + j] = (float) s;
        }
    }

    @Override
    double backward(HeadRows q, HeadRows k, HeadRows v, HeadRows out, HeadRows dout, int seqLen,
                    HeadRows dq, HeadRows dk, HeadRows dv, int head) {
        int d = dHead, go = d * d;
        double[] st = newState(head);
        double[] w = new double[seqLen * d], m = new double[seqLen * d], dw = new double[d];
        float[] gg = dout.a(), dqa = dq.a();
        double dAlpha = 0;
        // sweep 1, t = 0 … T−1: rebuild P_t, G_t; w_t, m_t = dq_t
        for (int t = 0; t < seqLen; t++) {
            add(st, k, v, t);
            solve(st, q, t, w, t * d);
            int gt = dout.at(t);
            for (int i = 0; i < d; i++) {                                  // dw = G g
                double s = 0;
                for (int j = 0; j < d; j++) s += st[go + i * d + j] * gg[gt + j];
                dw[i] = s;
            }
            int dqt = dq.at(t);
            for (int i = 0; i < d; i++) {                                  // m = P dw
                double s = 0;
                for (int j = 0; j < d; j++) s += st[i * d + j] * dw[j];
                m[t * d + i] = s;
                dqa[dqt + i] = (float) s;
                dAlpha -= s * w[t * d + i];                                // tr(dH_t) = −m·w
            }
        }
        // sweep 2, s = T−1 … 0: M_s (symmetrised on use), N_s; dk, dv
        double[] mm = new double[d * d], nn = new double[d * d];
        float[] kk = k.a(), vv = v.a(), dka = dk.a(), dva = dv.a();
        for (int t = seqLen - 1; t >= 0; t--) {
            int gt = dout.at(t), kt = k.at(t), vt = v.at(t), dkt = dk.at(t), dvt = dv.at(t);
            for (int i = 0; i < d; i++) {
                double mi = m[t * d + i], wi = w[t * d + i];
                int row = i * d;
                for (int j = 0; j < d; j++) {
                    mm[row + j] -= mi * w[t * d + j];                       // M += −m wᵀ
                    nn[row + j] += wi * gg[gt + j];                         // N += w gᵀ
                }
            }
            for (int i = 0; i < d; i++) {                                  // dk = (M + Mᵀ) k + N v
                double s = 0;
                for (int j = 0; j < d; j++) s += (mm[i * d + j] + mm[j * d + i]) * kk[kt + j] + nn[i * d + j] * vv[vt + j];
                dka[dkt + i] = (float) s;
            }
            for (int j = 0; j < d; j++) {                                  // dv = Nᵀ k
                double s = 0;
                for (int i = 0; i < d; i++) s += nn[i * d + j] * kk[kt + i];
                dva[dvt + j] = (float) s;
            }
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
