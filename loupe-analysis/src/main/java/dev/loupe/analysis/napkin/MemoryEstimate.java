package dev.loupe.analysis.napkin;

/**
 * Bytes needed to train or run a model, for a number format of {@code bytes} per number.
 *
 * <p>Training holds weights, gradients and AdamW's two moments (4 numbers per parameter), plus the
 * activations kept for the backward pass. The activation figure follows Korthikanti et al. (2022),
 * "Reducing Activation Recomputation in Large Transformer Models", §4.1, which counts
 * {@code B·T·d·(34 + 5·h·T/d)} bytes per layer for 16-bit activations (2 bytes each; 1-byte dropout
 * masks included); we scale it by {@code bytes/2} and add the logits and their gradient
 * ({@code 2·B·T·V} numbers), which dominate small models with a large vocabulary.
 * Inference holds the weights and the KV cache ({@code 2·L·T·d} numbers per sequence).
 */
public record MemoryEstimate(int bytes, double weights, double gradients, double adamMoments, double activations,
                             double kvCache) {

    public static MemoryEstimate of(ParameterCount p, long batch, long seq, int bytes) {
        Architecture a = p.arch();
        double n = p.total();
        double perLayer16 = (double) batch * seq * a.dModel() * (34 + 5.0 * a.heads() * seq / a.dModel());
        double activations = a.layers() * perLayer16 * bytes / 2.0 + 2.0 * batch * seq * a.vocab() * bytes;
        double kv = 2.0 * a.layers() * seq * a.dModel() * batch * bytes;
        return new MemoryEstimate(bytes, n * bytes, n * bytes, 2 * n * bytes, activations, kv);
    }

    /** Weights + gradients + Adam moments + activations. */
    public double training() {
        return weights + gradients + adamMoments + activations;
    }

    /** Weights + KV cache. */
    public double inference() {
        return weights + kvCache;
    }
}
