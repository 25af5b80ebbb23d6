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

    // state layout: S [d·d] | z [d] | scratch a, b, v, acc [d] each. Inner loops run along rows of
    // float64 arrays (axpy and row dots), so that the JIT vectorises them.

    @Override
    double[] newState(int head) {
        return new double[dHead * dHead + 5 * dHead];
    }

    @Override
    void step(double[] st, HeadRows q, HeadRows k, HeadRows v, int t, HeadRows out) {
        int d = dHead, zo = d * d, ao = zo + d, bo = ao + d, vo = bo + d, acc = vo + d;
        float[] kk = k.a(), vv = v.a(), qq = q.a(), o = out.a();
        int kt = k.at(t), vt = v.at(t), qt = q.at(t), ot = out.at(t);
        for (int i = 0; i < d; i++) {
            st[bo + i] = FeatureMaps.phi(phi, kk[kt + i]);
            st[vo + i] = vv[vt + i];
            st[ao + i] = FeatureMaps.phi(phi, qq[qt + i]);
            st[acc + i] = 0;
        }
        for (int i = 0; i < d; i++) {                                  // S += b vᵀ, z += b
            double bi = st[bo + i];
            int row = i * d;
            for (int j = 0; j < d; j++) st[row + j] += bi * st[vo + j];
            st[zo + i] += bi;
        }
        double den = 1;
        if (normalize) {
            den = EPS;
            for (int i = 0; i < d; i++) den += st[ao + i] * st[zo + i];
        }
        for (int i = 0; i < d; i++) {                                  // acc = aᵀS
            double ai = st[ao + i];
            int row = i * d;
            for (int j = 0; j < d; j++) st[acc + j] += ai * st[row + j];
        }
        for (int j = 0; j < d; j++) o[ot + j] = (float) (st[acc + j] / den);
    }

    @Override
    double backward(HeadRows q, HeadRows k, HeadRows v, HeadRows out, HeadRows dout, int seqLen,
                    HeadRows dq, HeadRows dk, HeadRows dv, int head) {
        int d = dHead;
        double[] s = new double[d * d], z = new double[d], a = new double[d], b = new double[d], vd = new double[d];
        double[] dnum = new double[seqLen * d], dden = new double[seqLen];
        float[] qq = q.a(), kk = k.a(), vv = v.a(), oo = out.a(), gg = dout.a(), dqa = dq.a();
        // sweep 1, t = 0 … T−1: rebuild S_t, z_t; dnum, dden, dq
        for (int t = 0; t < seqLen; t++) {
            int kt = k.at(t), vt = v.at(t), qt = q.at(t), gt = dout.at(t), ot = out.at(t), dqt = dq.at(t);
            for (int i = 0; i < d; i++) {
                b[i] = FeatureMaps.phi(phi, kk[kt + i]);
                vd[i] = vv[vt + i];
                a[i] = FeatureMaps.phi(phi, qq[qt + i]);
            }
            for (int i = 0; i < d; i++) {
                double bi = b[i];
                int row = i * d;
                for (int j = 0; j < d; j++) s[row + j] += bi * vd[j];
                z[i] += bi;
            }
            double den = 1;
            if (normalize) {
                den = EPS;
                for (int i = 0; i < d; i++) den += a[i] * z[i];
                double go = 0;
                for (int j = 0; j < d; j++) go += gg[gt + j] * oo[ot + j];
                dden[t] = -go / den;
            }
            int nt = t * d;
            for (int j = 0; j < d; j++) dnum[nt + j] = gg[gt + j] / den;
            for (int i = 0; i < d; i++) {                              // da = S dnum + z dden
                double da = normalize ? z[i] * dden[t] : 0;
                int row = i * d;
                for (int j = 0; j < d; j++) da += s[row + j] * dnum[nt + j];
                dqa[dqt + i] = (float) (da * FeatureMaps.derivative(phi, qq[qt + i]));
            }
        }
        // sweep 2, s = T−1 … 0: R_s, r_s; dk, dv
        double[] r = s, rz = z, acc = a;                                // reuse the buffers
        java.util.Arrays.fill(r, 0);
        java.util.Arrays.fill(rz, 0);
        float[] dka = dk.a(), dva = dv.a();
        double[] phiQ = new double[d];
        for (int t = seqLen - 1; t >= 0; t--) {
            int qt = q.at(t), kt = k.at(t), vt = v.at(t), nt = t * d, dkt = dk.at(t), dvt = dv.at(t);
            for (int i = 0; i < d; i++) {
                phiQ[i] = FeatureMaps.phi(phi, qq[qt + i]);
                b[i] = FeatureMaps.phi(phi, kk[kt + i]);
                vd[i] = vv[vt + i];
                acc[i] = 0;
            }
            for (int i = 0; i < d; i++) {                              // R += a dnumᵀ, r += a dden
                double ai = phiQ[i];
                int row = i * d;
                for (int j = 0; j < d; j++) r[row + j] += ai * dnum[nt + j];
                rz[i] += ai * dden[t];
            }
            for (int i = 0; i < d; i++) {                              // db = R v + r;  acc = Rᵀ b
                int row = i * d;
                double db = rz[i], bi = b[i];
                for (int j = 0; j < d; j++) db += r[row + j] * vd[j];
                for (int j = 0; j < d; j++) acc[j] += r[row + j] * bi;
                dka[dkt + i] = (float) (db * FeatureMaps.derivative(phi, kk[kt + i]));
            }
            for (int j = 0; j < d; j++) dva[dvt + j] = (float) acc[j];   // dv = Rᵀ b
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
