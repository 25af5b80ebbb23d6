package dev.loupe.experiments.bigram;

/** Discrete probability distributions as {@code double[]}: softmax, KL divergence, entropy, argmax. */
public final class Distributions {
    private Distributions() {}

    public static double[] softmax(float[] x) {
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) d[i] = x[i];
        return softmax(d);
    }

    public static double[] softmax(double[] x) {
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (double v : x) max = Math.max(max, v);
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) sum += out[i] = Math.exp(x[i] - max);
        for (int i = 0; i < x.length; i++) out[i] /= sum;
        return out;
    }

    /** KL(q‖p) in nats. */
    public static double kl(double[] q, double[] p) {
        double s = 0;
        for (int i = 0; i < q.length; i++) if (q[i] > 0) s += q[i] * Math.log(q[i] / Math.max(p[i], 1e-300));
        return s;
    }

    /** Entropy in nats. */
    public static double entropy(double[] q) {
        double s = 0;
        for (double x : q) if (x > 0) s -= x * Math.log(x);
        return s;
    }

    public static int argmax(double[] x) {
        int best = 0;
        for (int i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
        return best;
    }
}
