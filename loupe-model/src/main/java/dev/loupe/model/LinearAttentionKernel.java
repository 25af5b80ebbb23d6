package dev.loupe.model;

import dev.loupe.tensor.Tensor;

/**
 * Causal linear attention (Katharopoulos et al. 2020, "Transformers are RNNs"), one head:
 * <pre>
 *   a_t = φ(q_t), b_s = φ(k_s)                         // φ = elu + 1 or identity, [d_head]
 *   S_t = Σ_{s≤t} b_s v_sᵀ   [d_head, d_head],   z_t = Σ_{s≤t} b_s   [d_head]
 *   out_t = a_tᵀS_t / (a_tᵀz_t + ε)   (ε = 1e-6; unnormalised: out_t = a_tᵀS_t)
 * </pre>
 * It is softmax attention with exp(q·k/√d) replaced by φ(q)·φ(k): A[t, s] = a_t·b_s / (a_t·z_t + ε),
 * and associativity (A V = a (bᵀV)) turns the O(T²) product into running sums.
 *
 * <p>Backward, with g_t = dL/dout_t, den_t = a_t·z_t + ε:
 * <pre>
 *   dnum_t = g_t / den_t,   dden_t = −g_t·out_t / den_t      (unnormalised: dnum_t = g_t, dden_t = 0)
 *   da_t = S_t dnum_t + z_t dden_t,                         dq_t = da_t ⊙ φ'(q_t)
 *   R_s = Σ_{t≥s} a_t dnum_tᵀ,   r_s = Σ_{t≥s} a_t dden_t   (reverse running sums)
 *   db_s = R_s v_s + r_s,   dv_s = R_sᵀ b_s,                dk_s = db_s ⊙ φ'(k_s)
 * </pre>
 * Two sweeps of O(T·d_head²), O(d_head²) memory besides dnum/dden [T, d_head + 1].
 */
final class LinearAttentionKernel extends RecurrentAttentionKernel {
    static final double EPS = 1e-6;
    private final AttentionKind.FeatureMap phi;
    private final boolean normalize;

    LinearAttentionKernel(int dHead, AttentionKind.FeatureMap phi, boolean normalize) {
        super(dHead);
        this.phi = phi;
        this.normalize = normalize;
    }

    // state layout: S [d·d] | z [d] | scratch a [d] | scratch b [d]

    @Override
    double[] newState(int head) {
        return new double[dHead * dHead + 3 * dHead];
    }

    @Override
    void step(double[] st, HeadRows q, HeadRows k, HeadRows v, int t, HeadRows out) {
        int d = dHead, zo = d * d, ao = zo + d, bo = ao + d;
        int kt = k.at(t), vt = v.at(t), qt = q.at(t), ot = out.at(t);
        float[] kk = k.a(), vv = v.a(), qq = q.a();
        for (int i = 0; i < d; i++) st[bo + i] = FeatureMaps.phi(phi, kk[kt + i]);
        for (int i = 0; i < d; i++) {                                  // S += b vᵀ, z += b
            double bi = st[bo + i];
            int row = i * d;
            for (int j = 0; j < d; j++) st[row + j] += bi * vv[vt + j];
            st[zo + i] += bi;
        }
        for (int i = 0; i < d; i++) st[ao + i] = FeatureMaps.phi(phi, qq[qt + i]);
        double den = 1;
        if (normalize) {
            den = EPS;
            for (int i = 0; i < d; i++) den += st[ao + i] * st[zo + i];
        }
        float[] o = out.a();
        for (int j = 0; j < d; j++) {                                  // out = aᵀS / den
            double s = 0;
            for (int i = 0; i < d; i++) s += st[ao + i] * st[i * d + j];
            o[ot + j] = (float) (s / den);
        }
    }

    @Override
    double backward(HeadRows q, HeadRows k, HeadRows v, HeadRows out, HeadRows dout, int seqLen,
                    HeadRows dq, HeadRows dk, HeadRows dv, int head) {
        int d = dHead;
        double[] s = new double[d * d], z = new double[d], a = new double[d], b = new double[d];
        double[] dnum = new double[seqLen * d], dden = new double[seqLen];
        float[] qq = q.a(), kk = k.a(), vv = v.a(), oo = out.a(), gg = dout.a();
        // sweep 1, t = 0 … T−1: rebuild S_t, z_t; dnum, dden, dq
        for (int t = 0; t < seqLen; t++) {
            int kt = k.at(t), vt = v.at(t), qt = q.at(t), gt = dout.at(t), ot = out.at(t);
            for (int i = 0; i < d; i++) {
                double bi = FeatureMaps.phi(phi, kk[kt + i]);
                for (int j = 0; j < d; j++) s[i * d + j] += bi * vv[vt + j];
                z[i] += bi;
            }
            FeatureMaps.apply(phi, qq, qt, a, d);
            double den = 1;
            if (normalize) {
                den = EPS;
                for (int i = 0; i < d; i++) den += a[i] * z[i];
                double go = 0;
                for (int j = 0; j < d; j++) go += gg[gt + j] * oo[ot + j];
                dden[t] = -go / den;
            }
            for (int j = 0; j < d; j++) dnum[t * d + j] = gg[gt + j] / den;
            float[] dqa = dq.a();
            int dqt = dq.at(t);
            for (int i = 0; i < d; i++) {                              // da = S dnum + z dden
                double da = normalize ? z[i] * dden[t] : 0;
                for (int j = 0; j < d; j++) da += s[i * d + j] * dnum[t * d + j];
                dqa[dqt + i] = (float) (da * FeatureMaps.derivative(phi, qq[qt + i]));
            }
        }
        // sweep 2, s = T−1 … 0: R_s, r_s; dk, dv
        double[] r = s, rz = z;                                         // reuse the buffers
        java.util.Arrays.fill(r, 0);
        java.util.Arrays.fill(rz, 0);
        float[] dka = dk.a(), dva = dv.a();
        for (int t = seqLen - 1; t >= 0; t--) {
            int qt = q.at(t), kt = k.at(t), vt = v.at(t);
            FeatureMaps.apply(phi, qq, qt, a, d);
            for (int i = 0; i < d; i++) {
                double ai = a[i];
                for (int j = 0; j < d; j++) r[i * d + j] += ai * dnum[t * d + j];
                rz[i] += ai * dden[t];
            }
            FeatureMaps.apply(phi, kk, kt, b, d);
            int dkt = dk.at(t), dvt = dv.at(t);
            for (int i = 0; i < d; i++) {                              // db = R v + r
                double db = rz[i];
                for (int j = 0; j < d; j++) db += r[i * d + j] * vv[vt + j];
                dka[dkt + i] = (float) (db * FeatureMaps.derivative(phi, kk[kt + i]));
            }
            for (int j = 0; j < d; j++) {                              // dv = Rᵀ b
                double dvj = 0;
                for (int i = 0; i < d; i++) dvj += r[i * d + j] * b[i];
                dva[dvt + j] = (float) dvj;
            }
        }
        return 0;
    }

    @Override
    void scores(HeadRows q, HeadRows k, int seqLen, Tensor scores, int head) {
        int d = dHead;
        double[] a = new double[d], b = new double[d];
        float[] p = scores.data();
        int po = scores.offset(), ps = scores.stride(0);
        for (int t = 0; t < seqLen; t++) {
            FeatureMaps.apply(phi, q.a(), q.at(t), a, d);
            for (int u = 0; u < seqLen; u++) {
                double sc = 0;
                if (u <= t) {
                    FeatureMaps.apply(phi, k.a(), k.at(u), b, d);
                    for (int i = 0; i < d; i++) sc += a[i] * b[i];
                }
                p[po + t * ps + u] = (float) sc;
            }
        }
    }

    @Override
    void normalize(Tensor scores, int seqLen) {
        float[] p = scores.data();
        int po = scores.offset(), ps = scores.stride(0);
        for (int t = 0; t < seqLen; t++) {
            for (int u = t + 1; u < seqLen; u++) p[po + t * ps + u] = 0;   // causal, whatever a hook wrote
            if (!normalize) continue;
            double den = EPS;
            for (int u = 0; u <= t; u++) den += p[po + t * ps + u];
            for (int u = 0; u <= t; u++) p[po + t * ps + u] = (float) (p[po + t * ps + u] / den);
        }
    }
}
