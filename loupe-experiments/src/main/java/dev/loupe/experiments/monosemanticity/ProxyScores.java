package dev.loupe.experiments.monosemanticity;

import dev.loupe.tensor.Tensor;

import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * How well each unit (a neuron or a dictionary feature) matches each {@link ProxyClass}, over the
 * same tokens for every unit (Bricken et al. 2023, "Towards Monosemanticity", §"Detailed
 * Investigations of Individual Features"):
 * <ul>
 *   <li>a unit is <i>active</i> on a token when its activation exceeds {@link #ACTIVE_FRACTION} of its
 *       largest activation over the measured tokens (the same rule for neurons and features, so weak
 *       firing counts for neither);</li>
 *   <li>specificity = P(class | active): of the tokens where it is active, the share in the class;</li>
 *   <li>sensitivity = P(active | class): of the class's tokens, the share where it is active;</li>
 *   <li>correlation = Pearson's r between its activation and the class's 0/1 indicator, over all tokens.</li>
 * </ul>
 * A class's <i>best unit</i> is the one with the highest correlation (a choice that favours neither
 * specificity nor sensitivity). Two passes over the tokens: the first finds each unit's maximum, the
 * second counts.
 */
public final class ProxyScores {
    /** Active = activation &gt; this fraction of the unit's maximum over the measured tokens. */
    public static final double ACTIVE_FRACTION = 0.1;

    /** One unit's scores for one class. */
    public record Score(int unit, double specificity, double sensitivity, double correlation) {}

    /**
     * Chunks of tokens: each call to {@code forEach} hands every chunk, in the same order each time,
     * as (activations [N, units], labels [class][N]).
     */
    @FunctionalInterface
    public interface Chunks {
        void forEach(BiConsumer<Tensor, boolean[][]> chunk);
    }

    private final int units, classes;
    private final long tokens;
    private final long[] classTokens;        // [C]
    private final long[] active;             // [U]
    private final long[][] activeInClass;    // [U][C]
    private final double[] sum, sumSq;       // [U]
    private final double[][] sumInClass;     // [U][C]

    private ProxyScores(int units, int classes, long tokens, long[] classTokens, long[] active, long[][] activeInClass,
                        double[] sum, double[] sumSq, double[][] sumInClass) {
        this.units = units;
        this.classes = classes;
        this.tokens = tokens;
        this.classTokens = classTokens;
        this.active = active;
        this.activeInClass = activeInClass;
        this.sum = sum;
        this.sumSq = sumSq;
        this.sumInClass = sumInClass;
    }

    /** Measures {@code units} units over the chunks ({@code progress} gets one line per pass). */
    public static ProxyScores measure(int units, Chunks chunks, Consumer<String> progress) {
        int classes = ProxyClass.values().length;
        float[] max = new float[units];
        chunks.forEach((a, labels) -> {
            int n = a.dim(0);
            float[] d = a.contiguousData();
            for (int t = 0; t < n; t++) for (int u = 0; u < units; u++) max[u] = Math.max(max[u], d[t * units + u]);
        });
        progress.accept("maxima of " + units + " units");
        float[] threshold = new float[units];
        for (int u = 0; u < units; u++) threshold[u] = (float) (ACTIVE_FRACTION * max[u]);
        long[] classTokens = new long[classes], active = new long[units], tokens = new long[1];
        long[][] activeInClass = new long[units][classes];
        double[] sum = new double[units], sumSq = new double[units];
        double[][] sumInClass = new double[units][classes];
        chunks.forEach((a, labels) -> {
            int n = a.dim(0);
            float[] d = a.contiguousData();
            int[] in = new int[classes];
            for (int t = 0; t < n; t++) {
                int k = 0;
                for (int c = 0; c < classes; c++) if (labels[c][t]) { in[k++] = c; classTokens[c]++; }
                for (int u = 0; u < units; u++) {
                    float x = d[t * units + u];
                    if (x == 0f) continue;
                    sum[u] += x;
                    sumSq[u] += (double) x * x;
                    boolean on = x > threshold[u] && max[u] > 0;
                    if (on) active[u]++;
                    for (int j = 0; j < k; j++) {
                        sumInClass[u][in[j]] += x;
                        if (on) activeInClass[u][in[j]]++;
                    }
                }
            }
            tokens[0] += n;
        });
        progress.accept("proxy scores of " + units + " units");
        return new ProxyScores(units, classes, tokens[0], classTokens, active, activeInClass, sum, sumSq, sumInClass);
    }

    /** Unit {@code u}'s scores for {@code c}; specificity is 0 for a unit never active, sensitivity 0 for an empty class. */
    public Score score(int u, ProxyClass c) {
        int k = c.ordinal();
        double spec = active[u] == 0 ? 0 : (double) activeInClass[u][k] / active[u];
        double sens = classTokens[k] == 0 ? 0 : (double) activeInClass[u][k] / classTokens[k];
        double n = tokens, ny = classTokens[k];
        double cov = n * sumInClass[u][k] - sum[u] * ny;
        double varA = n * sumSq[u] - sum[u] * sum[u], varY = n * ny - ny * ny;
        double r = varA <= 0 || varY <= 0 ? 0 : cov / Math.sqrt(varA * varY);
        return new Score(u, spec, sens, r);
    }

    /** The unit with the highest correlation with {@code c} (the lowest index on ties). */
    public Score best(ProxyClass c) {
        Score best = score(0, c);
        for (int u = 1; u < units; u++) {
            Score s = score(u, c);
            if (s.correlation() > best.correlation()) best = s;
        }
        return best;
    }

    /** Number of units. */
    public int units() {
        return units;
    }

    /** Number of measured tokens. */
    public long tokens() {
        return tokens;
    }

    /** Tokens of class {@code c} among them. */
    public long classTokens(ProxyClass c) {
        return classTokens[c.ordinal()];
    }

    /** Number of classes measured (all of {@link ProxyClass}). */
    public int classes() {
        return classes;
    }
}
