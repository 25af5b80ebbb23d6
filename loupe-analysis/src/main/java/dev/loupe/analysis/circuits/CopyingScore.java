package dev.loupe.analysis.circuits;

import dev.loupe.tensor.linalg.Eigen;

/**
 * The eigenvalue "copying score" of a square matrix (Elhage et al., 2021, "Summarizing OV/QK
 * matrices"): Σ_i λ_i / Σ_i |λ_i| over its eigenvalues, a number in [−1, 1]. Σλ is real (complex
 * eigenvalues come in conjugate pairs). For a head's full OV circuit W_E·W_OV·W_U it is near +1 when
 * attending to a token raises that same token's logit (the head copies), near −1 when it suppresses
 * it; for the full QK circuit W_E·W_QK·W_Eᵀ a positive score means tokens attend to copies of
 * themselves ("matching").
 */
public final class CopyingScore {
    private CopyingScore() {}

    /** Σ Re λ / Σ |λ|, or NaN when every eigenvalue is 0 (the zero matrix has no direction). */
    public static double of(Eigen.Values values) {
        double sum = 0, abs = 0;
        for (int i = 0; i < values.size(); i++) {
            sum += values.re()[i];
            abs += values.magnitude(i);
        }
        return abs == 0 ? Double.NaN : sum / abs;
    }

    /** The copying score of a square factored matrix, from its r × r inner product's eigenvalues. */
    public static double of(FactoredMatrix square) {
        return of(square.eigenvalues());
    }
}
