package dev.loupe.sae;

import dev.loupe.tensor.Tensor;

/** Small random SAEs and inputs for tests. */
final class SaeFixtures {
    private SaeFixtures() {}

    static SparseAutoencoder random(Architecture arch, int dIn, int dSae, int k, long seed) {
        SaeConfig cfg = SaeConfig.of(arch, dIn, dSae, k, SaeMetadata.of("tiny", "blocks.0.hook_resid_post"));
        Tensor threshold = arch == Architecture.JUMPRELU ? Tensor.uniform(seed + 5, 0f, 0.3f, dSae) : null;
        return SparseAutoencoder.of(cfg, Tensor.randn(seed, 0.3f, dIn, dSae), Tensor.randn(seed + 1, 0.1f, dSae),
                Tensor.randn(seed + 2, 0.3f, dSae, dIn), Tensor.randn(seed + 3, 0.2f, dIn), threshold);
    }

    /** The SAE forward in double precision, loop by loop, straight from the formulas. */
    static double[][] naiveRecons(SparseAutoencoder sae, Tensor x, double[][] actsOut) {
        int n = x.dim(0), dIn = sae.dIn(), dSae = sae.dSae();
        double s = sae.inputScale();
        double[][] out = new double[n][dIn];
        for (int r = 0; r < n; r++) {
            double[] pre = new double[dSae];
            for (int j = 0; j < dSae; j++) {
                double acc = sae.bEnc().get(j);
                for (int i = 0; i < dIn; i++) {
                    double xi = s * x.get(r, i) - (sae.config().applyBDecToInput() ? sae.bDec().get(i) : 0);
                    acc += xi * sae.wEnc().get(i, j);
                }
                pre[j] = acc;
            }
            double[] f = new double[dSae];
            switch (sae.architecture()) {
                case STANDARD -> { for (int j = 0; j < dSae; j++) f[j] = Math.max(0, pre[j]); }
                case JUMPRELU -> { for (int j = 0; j < dSae; j++) f[j] = pre[j] > sae.threshold().get(j) ? Math.max(0, pre[j]) : 0; }
                case TOPK -> {
                    Integer[] idx = new Integer[dSae];
                    for (int j = 0; j < dSae; j++) idx[j] = j;
                    final double[] p = pre;
                    java.util.Arrays.sort(idx, (a, b) -> Double.compare(p[b], p[a]));
                    for (int q = 0; q < sae.config().k(); q++) f[idx[q]] = Math.max(0, pre[idx[q]]);
                }
            }
            if (actsOut != null) actsOut[r] = f;
            for (int i = 0; i < dIn; i++) {
                double acc = sae.bDec().get(i);
                for (int j = 0; j < dSae; j++) acc += f[j] * sae.wDec().get(j, i);
                out[r][i] = acc / s;
            }
        }
        return out;
    }
}
