package dev.loupe.sae;

import dev.loupe.tensor.Tensor;

/**
 * Where a {@link SaeTrainer} takes its batches from: {@link ActivationStore} (a model's hook point)
 * or any other deterministic stream of vectors (synthetic data in tests). Batch b must depend only
 * on b, so that {@link #skipTo} resumes a run exactly.
 */
public interface ActivationSource {
    /** Width of a row. */
    int dIn();

    /** The next batch [N, d_in], multiplied by {@link #scale()}; may be a view, valid until the next call. */
    Tensor next();

    /** Continue as if {@code batches} batches had been served. */
    void skipTo(long batches);

    /** The normalisation scale applied to served rows. */
    float scale();

    /** Sets the scale (a resumed run restores its own). */
    void setScale(float s);

    /** Sets and returns s = √d_in / mean ‖x‖ over the first buffer's raw rows. */
    float estimateNormScale();

    /** Raw (unscaled) rows of the first buffer, [M, d_in], for initialising b_dec. */
    Tensor firstRows();
}
