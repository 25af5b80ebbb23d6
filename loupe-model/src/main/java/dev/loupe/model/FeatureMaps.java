package dev.loupe.model;

/** φ and φ' of linear attention (Katharopoulos et al. 2020), in double. */
final class FeatureMaps {
    private FeatureMaps() {}

    /** φ(x) = elu(x) + 1 = x + 1 for x &gt; 0, eˣ otherwise; or φ(x) = x. */
    static double phi(AttentionKind.FeatureMap f, double x) {
        return f == AttentionKind.FeatureMap.IDENTITY ? x : x > 0 ? x + 1 : Math.exp(x);
    }

    /** φ'(x): 1 for x &gt; 0, eˣ otherwise (elu + 1); 1 (identity). */
    static double derivative(AttentionKind.FeatureMap f, double x) {
        return f == AttentionKind.FeatureMap.IDENTITY || x > 0 ? 1 : Math.exp(x);
    }

    /** dst[i] = φ(src[o + i]) for i &lt; n. */
    static void apply(AttentionKind.FeatureMap f, float[] src, int o, double[] dst, int n) {
        for (int i = 0; i < n; i++) dst[i] = phi(f, src[o + i]);
    }
}
