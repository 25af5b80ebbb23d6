package dev.loupe.experiments.grokking;

import dev.loupe.analysis.fourier.Fourier;
import dev.loupe.analysis.fourier.Gini;
import dev.loupe.model.Gpt;
import dev.loupe.model.LastPositionLoss;
import dev.loupe.tensor.Tensor;

/**
 * Nanda et al.'s progress measures of one checkpoint of a modular-addition model (§5), all on the
 * model's logits at "=" over every pair (a, b):
 *
 * <ul>
 *   <li>train / test loss and accuracy;</li>
 *   <li><b>restricted loss</b>: the loss over all p² pairs of the logits with only the key frequencies
 *       kept ({@link LogitDecomposition#restricted()}) — it falls before the test loss does, as the
 *       generalising circuit forms;</li>
 *   <li><b>excluded loss</b>: the training loss of the logits with the key frequencies removed
 *       ({@link LogitDecomposition#excluded()}) — it rises as the model stops relying on memorisation;</li>
 *   <li>the Gini coefficients of the Fourier component norms of W_E (rows of the number tokens) and of
 *       W_L = W_out·W_U (the neuron-to-logit map, over the p answer logits): sparsity in frequency;</li>
 *   <li>the total sum of squared weights, which weight decay drives down in the clean-up phase.</li>
 * </ul>
 */
public record ProgressMeasures(int step, double trainLoss, double testLoss, double trainAccuracy, double testAccuracy,
                               double restrictedLoss, double excludedLoss, double giniEmbedding, double giniNeuronLogit,
                               double sumSquaredWeights) {

    /** The measures of {@code gpt} (a checkpoint at {@code step}) with the given key frequencies. */
    public static ProgressMeasures of(int step, Gpt gpt, ModularAddition data, Fourier f, int[] keys) {
        int p = data.p(), vocab = gpt.config().vocabSize();
        float[] logits = gridLogits(gpt, data);
        int[] answers = data.answers(data.all());
        double[] full = Metrics.widen(logits);
        LogitDecomposition d = LogitDecomposition.of(logits, p, vocab, keys);
        return new ProgressMeasures(step,
                Metrics.loss(full, vocab, data.train(), answers), Metrics.loss(full, vocab, data.test(), answers),
                Metrics.accuracy(full, vocab, data.train(), answers), Metrics.accuracy(full, vocab, data.test(), answers),
                Metrics.loss(d.restricted(), vocab, data.all(), answers), Metrics.loss(d.excluded(), vocab, data.train(), answers),
                Gini.of(f.componentNorms(embedding(gpt, p))), Gini.of(f.componentNorms(neuronLogitMap(gpt, p))),
                sumSquaredWeights(gpt));
    }

    /** The logits at "=" of every pair, [p²·V] with row a·p + b. */
    public static float[] gridLogits(Gpt gpt, ModularAddition data) {
        int n = data.p() * data.p();
        return new LastPositionLoss(gpt).logits(data.inputs(data.all()), n, ModularAddition.SEQ).toArray();
    }

    /** W_E's rows of the number tokens 0 … p−1, [p][d_model]. */
    public static double[][] embedding(Gpt gpt, int p) {
        Tensor w = gpt.parameters().get("wte.weight");
        int d = w.dim(1);
        double[][] out = new double[p][d];
        for (int x = 0; x < p; x++) for (int j = 0; j < d; j++) out[x][j] = w.get(x, j);
        return out;
    }

    /**
     * W_L = W_out·W_Uᵀ restricted to the p answer logits, transposed to [p][d_mlp] (row c: how much
     * each neuron raises logit c), so that its rows are indexed by c ∈ Z_p for the Fourier basis.
     */
    public static double[][] neuronLogitMap(Gpt gpt, int p) {
        Tensor wOut = gpt.blocks[0].mlp.proj.weight;            // [d_mlp, d_model]
        Tensor wU = gpt.unembedding.weight;                      // [V, d_model]
        int m = wOut.dim(0), d = wOut.dim(1);
        float[] o = wOut.contiguous().toArray(), u = wU.contiguous().toArray();
        double[][] out = new double[p][m];
        for (int c = 0; c < p; c++)
            for (int n = 0; n < m; n++) {
                double s = 0;
                for (int j = 0; j < d; j++) s += (double) o[n * d + j] * u[c * d + j];
                out[c][n] = s;
            }
        return out;
    }

    /** Σ of the squares of every parameter. */
    public static double sumSquaredWeights(Gpt gpt) {
        double s = 0;
        for (Tensor t : gpt.parameters().values()) for (float v : t.contiguous().toArray()) s += (double) v * v;
        return s;
    }
}
