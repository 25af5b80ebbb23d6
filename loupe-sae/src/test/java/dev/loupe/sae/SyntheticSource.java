package dev.loupe.sae;

import dev.loupe.tensor.Tensor;

import java.util.SplittableRandom;

/**
 * Toy activations from a known sparse dictionary in superposition: {@code features} random unit
 * directions in d_in dimensions (more directions than dimensions), each sample the sum of the
 * directions that fire (each independently with probability p) times a magnitude in [0.5, 1.5).
 * Batch b depends only on (seed, b).
 */
final class SyntheticSource implements ActivationSource {
    final Tensor dictionary; // [features, d_in], unit rows
    final int dIn, features, batch;
    final double p;
    final long seed;
    long served;
    float scale = 1f;

    SyntheticSource(int dIn, int features, double p, int batch, long seed) {
        this.dIn = dIn;
        this.features = features;
        this.p = p;
        this.batch = batch;
        this.seed = seed;
        dictionary = Tensor.randn(seed, 1f, features, dIn);
        SaeTrainer.normaliseRows(dictionary);
    }

    Tensor batch(long b) {
        SplittableRandom r = new SplittableRandom(seed * 1_000_003L + b);
        Tensor x = Tensor.zeros(batch, dIn);
        for (int n = 0; n < batch; n++) {
            for (int f = 0; f < features; f++) {
                if (r.nextDouble() >= p) continue;
                float a = (float) (0.5 + r.nextDouble());
                for (int i = 0; i < dIn; i++) x.data()[n * dIn + i] += a * dictionary.data()[f * dIn + i];
            }
        }
        return x;
    }

    @Override public int dIn() { return dIn; }

    @Override public Tensor next() {
        Tensor x = batch(served++);
        if (scale != 1f) SparseAutoencoder.scaleInPlace(x, scale);
        return x;
    }

    @Override public void skipTo(long batches) { served = batches; }

    @Override public float scale() { return scale; }

    @Override public void setScale(float s) { scale = s; }

    @Override public float estimateNormScale() {
        Tensor x = batch(0);
        double sum = 0;
        for (int n = 0; n < batch; n++) {
            double s = 0;
            for (int i = 0; i < dIn; i++) s += x.get(n, i) * x.get(n, i);
            sum += Math.sqrt(s);
        }
        scale = (float) (Math.sqrt(dIn) / (sum / batch));
        return scale;
    }

    @Override public Tensor firstRows() { return batch(0); }

    /** For each true feature, the largest cosine similarity with any decoder row of {@code sae}. */
    double[] maxCosines(SparseAutoencoder sae) {
        double[] out = new double[features];
        Tensor w = sae.wDec();
        for (int f = 0; f < features; f++) {
            double best = -1;
            for (int j = 0; j < sae.dSae(); j++) {
                double dot = 0, nn = 0;
                for (int i = 0; i < dIn; i++) {
                    dot += dictionary.get(f, i) * w.get(j, i);
                    nn += w.get(j, i) * w.get(j, i);
                }
                if (nn > 0) best = Math.max(best, dot / Math.sqrt(nn));
            }
            out[f] = best;
        }
        return out;
    }
}
