package dev.loupe.analysis.moe;

/**
 * Mutual information of two discrete variables from their joint counts, e.g. a token's source
 * against the expert it was routed to, or layer l's expert against layer l+1's: how much knowing
 * one tells about the other. I(X;Y) = Σ_{x,y} p(x,y)·log₂(p(x,y) / (p(x)·p(y))), in bits; 0 for
 * independent variables, at most min(H(X), H(Y)).
 */
public final class MutualInformation {
    private MutualInformation() {}

    /** I(X;Y) in bits of joint counts [X][Y] (all ≥ 0); 0 when there are no counts. */
    public static double bits(long[][] joint) {
        int nx = joint.length, ny = nx == 0 ? 0 : joint[0].length;
        double total = 0;
        double[] px = new double[nx], py = new double[ny];
        for (int x = 0; x < nx; x++) {
            for (int y = 0; y < ny; y++) {
                if (joint[x][y] < 0) throw new IllegalArgumentException("negative count at [" + x + "][" + y + "]");
                px[x] += joint[x][y];
                py[y] += joint[x][y];
                total += joint[x][y];
            }
        }
        if (total == 0) return 0;
        double i = 0;
        for (int x = 0; x < nx; x++) {
            for (int y = 0; y < ny; y++) {
                if (joint[x][y] == 0) continue;
                double p = joint[x][y] / total;
                i += p * Math.log(p * total * total / (px[x] * py[y]));
            }
        }
        return Math.max(0, i / Math.log(2));
    }

    /** The entropy H(X) in bits of the row sums of joint counts [X][Y]: the ceiling of {@link #bits}. */
    public static double rowEntropyBits(long[][] joint) {
        double total = 0;
        double[] px = new double[joint.length];
        for (int x = 0; x < joint.length; x++) for (long c : joint[x]) { px[x] += c; total += c; }
        double h = 0;
        for (double c : px) if (c > 0) h -= c / total * Math.log(c / total);
        return h / Math.log(2);
    }

    /** Each row of joint counts [X][Y] divided by its sum: P(y | x) [X][Y] (a row with no counts stays 0). */
    public static double[][] rowShares(long[][] joint) {
        double[][] p = new double[joint.length][];
        for (int i = 0; i < joint.length; i++) {
            long s = 0;
            for (long c : joint[i]) s += c;
            p[i] = new double[joint[i].length];
            for (int j = 0; j < p[i].length; j++) p[i][j] = s == 0 ? 0 : (double) joint[i][j] / s;
        }
        return p;
    }
}
