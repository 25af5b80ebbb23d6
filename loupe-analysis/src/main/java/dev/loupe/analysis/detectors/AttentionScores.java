package dev.loupe.analysis.detectors;

import dev.loupe.tensor.Tensor;

/**
 * Scores of one head's attention pattern, averaged over the query positions each score is defined
 * on. Every function takes an attention pattern [B, H, T, T] ([batch, head, query, key], rows summing
 * to 1, as {@code blocks.{l}.attn.hook_pattern}) and, where the score depends on the tokens, the
 * ids [B·T] the pattern was computed on; each returns one score per head, in [0, 1].
 *
 * <p>The definitions are those of Olsson et al. (2022), "In-context Learning and Induction Heads",
 * and TransformerLens's head detectors:
 * <ul>
 * <li>previous-token: the attention weight from position i to i − 1, averaged over i ≥ 1;</li>
 * <li>duplicate-token: at a position whose token occurred before, the total attention on those
 *     earlier occurrences;</li>
 * <li>induction: at a position whose token occurred before, the total attention on the tokens
 *     that <em>followed</em> those earlier occurrences (the prefix-matching pattern of an induction
 *     head: "A B … A → attend to B").</li>
 * </ul>
 * Positions with no earlier occurrence do not count for the last two; a head gets 0 if no position
 * qualifies.
 */
public final class AttentionScores {
    private AttentionScores() {}

    /** Previous-token score per head [H]: mean over b and i ≥ 1 of pattern[b, h, i, i − 1]. */
    public static double[] previousToken(Tensor pattern) {
        int b = pattern.dim(0), heads = pattern.dim(1), t = pattern.dim(2);
        double[] s = new double[heads];
        if (t < 2) return s;
        for (int h = 0; h < heads; h++) {
            double sum = 0;
            for (int n = 0; n < b; n++) for (int i = 1; i < t; i++) sum += pattern.get(n, h, i, i - 1);
            s[h] = sum / ((double) b * (t - 1));
        }
        return s;
    }

    /** Duplicate-token score per head [H]: attention from a repeated token to its earlier occurrences. */
    public static double[] duplicateToken(Tensor pattern, int[] ids) {
        return matching(pattern, ids, 0);
    }

    /** Induction score per head [H]: attention from a repeated token to the tokens after its earlier occurrences. */
    public static double[] induction(Tensor pattern, int[] ids) {
        return matching(pattern, ids, 1);
    }

    /**
     * Mean over the qualifying queries i of Σ_j pattern[i, j + shift] over the earlier occurrences
     * j of ids[i] with j + shift < i: with shift 0 the earlier occurrence itself, with shift 1 the
     * token after it, which must itself precede i. A query qualifies if it has such an occurrence.
     */
    private static double[] matching(Tensor pattern, int[] ids, int shift) {
        int b = pattern.dim(0), heads = pattern.dim(1), t = pattern.dim(2);
        if (ids.length != b * t) {
            throw new IllegalArgumentException("ids hold " + ids.length + " tokens but the pattern is for B·T = " + b * t);
        }
        double[] sum = new double[heads];
        long queries = 0;
        for (int n = 0; n < b; n++) {
            int base = n * t;
            for (int i = 1; i < t; i++) {
                boolean any = false;
                for (int j = 0; j + shift < i; j++) {
                    if (ids[base + j] != ids[base + i]) continue;
                    any = true;
                    for (int h = 0; h < heads; h++) sum[h] += pattern.get(n, h, i, j + shift);
                }
                if (any) queries++;
            }
        }
        double[] s = new double[heads];
        if (queries > 0) for (int h = 0; h < heads; h++) s[h] = sum[h] / queries;
        return s;
    }
}
