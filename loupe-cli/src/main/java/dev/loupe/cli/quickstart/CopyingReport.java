package dev.loupe.cli.quickstart;

import dev.loupe.model.Activations;
import dev.loupe.model.Gpt;
import dev.loupe.tensor.Tensor;

import java.util.SplittableRandom;

/**
 * What a model trained on {@link RepeatedSequences} learned, measured on fresh blocks:
 * next-token accuracy and loss on the unpredictable first half versus the repeated second half,
 * and, per attention head, how much attention goes from each position of the repeat to the
 * position it can copy from: the symbol that followed the current symbol's first occurrence,
 * n − 1 positions back (i → i − n + 1).
 */
record CopyingReport(double firstHalfAccuracy, double secondHalfAccuracy, double firstHalfLoss, double secondHalfLoss,
                     double[][] copySource, int[] exampleBlock, int[] examplePredictions) {

    /** Measures {@code gpt} on {@code blocks} fresh blocks of 2·half symbols. */
    static CopyingReport measure(Gpt gpt, long seed, int blocks, int half) {
        int vocab = gpt.config().vocabSize(), t = 2 * half;
        SplittableRandom r = new SplittableRandom(seed);
        int[] ids = new int[blocks * t];
        for (int b = 0; b < blocks; b++) System.arraycopy(RepeatedSequences.block(r, half, vocab), 0, ids, b * t, t);

        Tensor logits = gpt.logits(ids, blocks, t).reshape(blocks * t, vocab); // [B·T, V]
        double[] correct = new double[2], loss = new double[2];
        int[] count = new int[2];
        int[] predictions = new int[t];
        float[] l = logits.contiguous().data();
        int base = logits.contiguous().offset();
        for (int b = 0; b < blocks; b++) {
            for (int i = 0; i + 1 < t; i++) { // position i predicts token i + 1
                int row = base + (b * t + i) * vocab, target = ids[b * t + i + 1];
                int best = 0;
                double max = Double.NEGATIVE_INFINITY;
                for (int v = 0; v < vocab; v++) if (l[row + v] > max) { max = l[row + v]; best = v; }
                double sum = 0;
                for (int v = 0; v < vocab; v++) sum += Math.exp(l[row + v] - max);
                int part = i + 1 < half ? 0 : 1; // targets half … 2·half − 1 repeat targets 0 … half − 1
                correct[part] += best == target ? 1 : 0;
                loss[part] += Math.log(sum) + max - l[row + target];
                count[part]++;
                if (b == 0) predictions[i + 1] = best;
            }
        }

        // attention patterns of every head, averaged over the blocks: [B, H, T, T] per layer
        Activations acts = gpt.forward(ids, blocks, t);
        int layers = gpt.config().nLayer(), heads = gpt.config().nHead();
        double[][] ind = new double[layers][heads];
        for (int layer = 0; layer < layers; layer++) {
            Tensor p = acts.blocks[layer].pattern;
            int keys = p.dim(3);
            for (int h = 0; h < heads; h++) {
                double si = 0;
                int ni = 0;
                for (int b = 0; b < blocks; b++) {
                    for (int i = half - 1; i + 1 < t; i++) { // position i predicts the repeat of symbol i + 1 − half
                        si += p.get(b, h, i, i - half + 1);
                        ni++;
                    }
                }
                assert keys >= t;
                ind[layer][h] = si / ni;
            }
        }
        return new CopyingReport(correct[0] / count[0], correct[1] / count[1], loss[0] / count[0], loss[1] / count[1],
                ind, java.util.Arrays.copyOf(ids, t), predictions);
    }

    /** [layer, head] of the largest entry. */
    static int[] argmax(double[][] scores) {
        int[] best = {0, 0};
        for (int l = 0; l < scores.length; l++) {
            for (int h = 0; h < scores[l].length; h++) if (scores[l][h] > scores[best[0]][best[1]]) best = new int[] {l, h};
        }
        return best;
    }
}
