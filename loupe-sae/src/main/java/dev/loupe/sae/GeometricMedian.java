package dev.loupe.sae;

import dev.loupe.tensor.Tensor;

/**
 * The geometric median of a set of points (the point minimising the sum of Euclidean distances),
 * by Weiszfeld's iteration: m ← Σ_n x_n/‖x_n − m‖ / Σ_n 1/‖x_n − m‖, started at the mean. SAELens
 * initialises b_dec with it (Bricken et al., "Towards Monosemanticity") because it is robust to the
 * outliers of the residual stream.
 */
public final class GeometricMedian {
    private GeometricMedian() {}

    /** The mean of the rows of x [N, d]. */
    public static float[] mean(Tensor x) {
        int n = x.dim(0), d = x.dim(1);
        float[] a = x.contiguous().data();
        int o = x.contiguous().offset();
        double[] m = new double[d];
        for (int r = 0; r < n; r++) for (int i = 0; i < d; i++) m[i] += a[o + r * d + i];
        float[] out = new float[d];
        for (int i = 0; i < d; i++) out[i] = (float) (m[i] / n);
        return out;
    }

    /**
     * The geometric median of the rows of x [N, d], after at most {@code maxIter} Weiszfeld steps or
     * when a step moves it by less than 1e-6 of its norm.
     */
    public static float[] of(Tensor x, int maxIter) {
        int n = x.dim(0), d = x.dim(1);
        Tensor xc = x.contiguous();
        float[] a = xc.data();
        int o = xc.offset();
        double[] m = new double[d];
        float[] start = mean(xc);
        for (int i = 0; i < d; i++) m[i] = start[i];
        for (int it = 0; it < maxIter; it++) {
            double[] num = new double[d];
            double den = 0;
            for (int r = 0; r < n; r++) {
                double dist = 0;
                for (int i = 0; i < d; i++) {
                    double v = a[o + r * d + i] - m[i];
                    dist += v * v;
                }
                double w = 1 / Math.max(Math.sqrt(dist), 1e-8);
                den += w;
                for (int i = 0; i < d; i++) num[i] += w * a[o + r * d + i];
            }
            double move = 0, norm = 0;
            for (int i = 0; i < d; i++) {
                double next = num[i] / den;
                move += (next - m[i]) * (next - m[i]);
                norm += next * next;
                m[i] = next;
            }
            if (Math.sqrt(move) <= 1e-6 * Math.max(Math.sqrt(norm), 1e-12)) break;
        }
        float[] out = new float[d];
        for (int i = 0; i < d; i++) out[i] = (float) m[i];
        return out;
    }
}
