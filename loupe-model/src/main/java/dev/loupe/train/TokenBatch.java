package dev.loupe.train;

/**
 * One training batch: {@code batch} rows of {@code seqLen} input ids and, for each, the id that
 * follows it. Both arrays are flat row-major {@code [batch, seqLen]}.
 */
public record TokenBatch(int[] inputs, int[] targets, int batch, int seqLen) {
    public TokenBatch {
        if (inputs.length != batch * seqLen || targets.length != batch * seqLen) {
            throw new IllegalArgumentException("a batch of " + batch + " × " + seqLen + " needs "
                    + batch * seqLen + " inputs and targets");
        }
    }

    /** Number of predicted tokens, B·T. */
    public int tokens() { return batch * seqLen; }
}
