package dev.loupe.experiments.grokking;

/** Cross-entropy and accuracy of logit rows [n·V] (float or double) on chosen rows, in double. */
final class Metrics {
    private Metrics() {}

    /** Mean −log softmax(logits[row])[answer] over {@code rows}; answers are indexed by row. */
    static double loss(double[] logits, int vocab, int[] rows, int[] answerOfRow) {
        double sum = 0;
        for (int r : rows) {
            int o = r * vocab;
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < vocab; c++) max = Math.max(max, logits[o + c]);
            double z = 0;
            for (int c = 0; c < vocab; c++) z += Math.exp(logits[o + c] - max);
            sum += Math.log(z) + max - logits[o + answerOfRow[r]];
        }
        return sum / rows.length;
    }

    /** Share of {@code rows} whose largest logit is the answer. */
    static double accuracy(double[] logits, int vocab, int[] rows, int[] answerOfRow) {
        int hits = 0;
        for (int r : rows) {
            int o = r * vocab, best = 0;
            for (int c = 1; c < vocab; c++) if (logits[o + c] > logits[o + best]) best = c;
            if (best == answerOfRow[r]) hits++;
        }
        return (double) hits / rows.length;
    }

    static double[] widen(float[] x) {
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) out[i] = x[i];
        return out;
    }
}
