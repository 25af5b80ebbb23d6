package dev.loupe.experiments.superposition;

import dev.loupe.tensor.Tensor;

/**
 * What "Toy Models of Superposition" reads off a trained W ∈ R^{m×n}, whose column W_i is the direction
 * of feature i in the hidden space (Ŵ_i = W_i/‖W_i‖), computed in double precision:
 * <ul>
 * <li>‖W_i‖: how strongly feature i is represented; a feature with ‖W_i‖ &gt; 0.5 counts as represented;</li>
 * <li>the superposition of feature i, Σ_{j≠i} (Ŵ_i·W_j)²: how much other features project onto its direction
 *     (0: it has a dimension of its own);</li>
 * <li>dimensions per feature D* = m / ‖W‖_F²;</li>
 * <li>feature dimensionality D_i = ‖W_i‖² / Σ_j (Ŵ_i·W_j)² (the sum includes j = i): the fraction of a
 *     dimension feature i gets — 1 alone, 1/2 in an antipodal pair, 2/3 in a triangle, 2/5 in a pentagon.</li>
 * </ul>
 * A feature with W_i = 0 has superposition 0 and dimensionality 0.
 *
 * @param norms          ‖W_i‖, [n]
 * @param superposition  Σ_{j≠i} (Ŵ_i·W_j)², [n]
 * @param dimensionality D_i, [n]
 * @param dimensionsPerFeature D* = m / ‖W‖_F²
 */
public record SuperpositionMeasures(double[] norms, double[] superposition, double[] dimensionality, double dimensionsPerFeature) {
    /** A feature with ‖W_i‖ above this is represented (the and the paper's threshold). */
    public static final double REPRESENTED = 0.5;

    /** The measures of {@code w} [m, n]. */
    public static SuperpositionMeasures of(Tensor w) {
        int m = w.shape()[0], n = w.shape()[1];
        double[][] col = new double[n][m];
        for (int r = 0; r < m; r++) for (int i = 0; i < n; i++) col[i][r] = w.get(r, i);
        double[] norms = new double[n], sup = new double[n], dim = new double[n];
        double frob = 0;
        for (int i = 0; i < n; i++) {
            double sq = 0;
            for (double v : col[i]) sq += v * v;
            norms[i] = Math.sqrt(sq);
            frob += sq;
        }
        for (int i = 0; i < n; i++) {
            if (norms[i] == 0) continue;
            double others = 0;
            for (int j = 0; j < n; j++) {
                if (j == i) continue;
                double d = 0;
                for (int r = 0; r < m; r++) d += col[i][r] * col[j][r];
                d /= norms[i];
                others += d * d;
            }
            double own = norms[i] * norms[i];   // (Ŵ_i·W_i)² = ‖W_i‖²
            sup[i] = others;
            dim[i] = own / (own + others);
        }
        return new SuperpositionMeasures(norms, sup, dim, m / frob);
    }

    /** Features with ‖W_i‖ &gt; {@link #REPRESENTED}. */
    public int featuresRepresented() {
        int k = 0;
        for (double x : norms) if (x > REPRESENTED) k++;
        return k;
    }
}
