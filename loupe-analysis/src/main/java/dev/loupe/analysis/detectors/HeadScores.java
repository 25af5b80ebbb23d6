package dev.loupe.analysis.detectors;

/**
 * The three detector scores of every head of a model, each [layer][head] in [0, 1] (see
 * {@link AttentionScores}), and the probe they were measured on: {@code batch} repeated random
 * sequences of {@code 2·half} tokens.
 */
public record HeadScores(double[][] previousToken, double[][] duplicateToken, double[][] induction, int batch, int half) {

    public int layers() { return induction.length; }

    public int heads() { return induction.length == 0 ? 0 : induction[0].length; }

    /** [layer, head] of the largest entry of {@code scores} (the first one on ties). */
    public static int[] best(double[][] scores) {
        int[] best = {0, 0};
        for (int l = 0; l < scores.length; l++) {
            for (int h = 0; h < scores[l].length; h++) if (scores[l][h] > scores[best[0]][best[1]]) best = new int[] {l, h};
        }
        return best;
    }

    /** [layer, head] of the largest entry of {@code scores} within one layer. */
    public static int[] bestIn(double[][] scores, int layer) {
        int h = 0;
        for (int i = 1; i < scores[layer].length; i++) if (scores[layer][i] > scores[layer][h]) h = i;
        return new int[] {layer, h};
    }
}
