package dev.loupe.analysis.moe;

import dev.loupe.analysis.stats.TopExample;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.PriorityQueue;

/**
 * Routing diagnostics of one mixture-of-experts layer, accumulated over any number of sequences
 * ({@link #add}) so that a corpus never has to hold its routing matrix R [tokens, E] at once:
 * <ul>
 *   <li>the Gram matrix G = RᵀR [E, E]: G[e][e] = Σ_t R[t,e]² is expert e's (weight-squared) load,
 *       G[a][b] = Σ_t R[t,a]·R[t,b] the co-routing of a and b (with top-1 routing G is diagonal);
 *       {@link #cosine()} is D^{-1/2}·G·D^{-1/2} with D = diag(G);</li>
 *   <li>per-expert counts of (token, choice) slots, their coefficient of variation (std / mean over
 *       experts; 0 = perfectly balanced, √(E−1) = every slot on one expert when k = 1) and the dead
 *       experts (count 0);</li>
 *   <li>the router entropy: mean over tokens of H(p) = −Σ_e p_e ln p_e, p = softmax(g), in nats
 *       (ln E = uniform, 0 = certain);</li>
 *   <li>the Switch balance E·Σ_e f_e·P_e (f_e = share of slots on e, P_e = mean p_e): 1 when balanced,
 *       the load-balancing loss divided by its coefficient;</li>
 *   <li>the top tokens of each expert by routing weight R[t, e], with their context.</li>
 * </ul>
 */
public final class LayerDiagnostics {
    private final int layer, experts, keep, before;
    private final double[][] gram;
    private final long[] counts;
    private final double[] weightSums, probabilitySums;
    private double entropySum;
    private long tokens;
    private final List<PriorityQueue<TopExample>> top = new ArrayList<>();

    /**
     * An empty accumulator for layer {@code layer} with {@code experts} experts, keeping the
     * {@code keep} highest-weighted tokens per expert with {@code before} tokens of context each.
     */
    public LayerDiagnostics(int layer, int experts, int keep, int before) {
        if (keep < 0 || before < 0) throw new IllegalArgumentException("keep and before must be >= 0");
        this.layer = layer;
        this.experts = experts;
        this.keep = keep;
        this.before = before;
        gram = new double[experts][experts];
        counts = new long[experts];
        weightSums = new double[experts];
        probabilitySums = new double[experts];
        for (int e = 0; e < experts; e++) top.add(new PriorityQueue<>((a, b) -> TopExample.compare(b, a)));   // worst on top
    }

    /**
     * Adds one sequence's routing; {@code ids} [T] are its tokens (for the top tokens) and
     * {@code first} the position of ids[0] in the corpus.
     */
    public void add(LayerRouting r, int[] ids, long first) {
        if (r.experts() != experts) throw new IllegalArgumentException("routing over " + r.experts() + " experts, expected " + experts);
        if (ids.length != r.tokens()) throw new IllegalArgumentException(ids.length + " ids for " + r.tokens() + " routed tokens");
        int k = r.topK();
        for (int t = 0; t < r.tokens(); t++) {
            for (int i = 0; i < k; i++) {
                int a = r.expert(t, i);
                double wa = r.weight(t, i);
                counts[a]++;
                weightSums[a] += wa;
                for (int j = 0; j < k; j++) gram[a][r.expert(t, j)] += wa * r.weight(t, j);
                offer(a, r, ids, first, t, wa);
            }
            double[] p = r.probabilities(t);
            for (int e = 0; e < experts; e++) {
                probabilitySums[e] += p[e];
                if (p[e] > 0) entropySum -= p[e] * Math.log(p[e]);
            }
        }
        tokens += r.tokens();
    }

    private void offer(int e, LayerRouting r, int[] ids, long first, int t, double w) {
        if (keep == 0) return;
        PriorityQueue<TopExample> q = top.get(e);
        if (q.size() == keep && TopExample.compare(q.peek(), new TopExample(first + t, (float) w, 0, null, null)) <= 0) return;
        int s = Math.max(0, t - before);
        float[] values = new float[t + 1 - s];
        for (int u = s; u <= t; u++) {
            for (int j = 0; j < r.topK(); j++) if (r.expert(u, j) == e) values[u - s] = r.weight(u, j);
        }
        q.add(new TopExample(first + t, (float) w, first + s, Arrays.copyOfRange(ids, s, t + 1), values));
        if (q.size() > keep) q.poll();
    }

    public int layer() { return layer; }

    public int experts() { return experts; }

    /** Tokens added so far. */
    public long tokens() { return tokens; }

    /** RᵀR [E][E] (a copy). */
    public double[][] gram() {
        double[][] g = new double[experts][];
        for (int e = 0; e < experts; e++) g[e] = gram[e].clone();
        return g;
    }

    /** D^{-1/2}·RᵀR·D^{-1/2}, D = diag(RᵀR): cosines between the columns of R; rows and columns of dead experts are 0. */
    public double[][] cosine() {
        double[][] c = new double[experts][experts];
        for (int a = 0; a < experts; a++) {
            for (int b = 0; b < experts; b++) {
                double d = gram[a][a] * gram[b][b];
                c[a][b] = d > 0 ? gram[a][b] / Math.sqrt(d) : 0;
            }
        }
        return c;
    }

    /** (token, choice) slots routed to each expert [E]: tokens × k in total. */
    public long[] counts() { return counts.clone(); }

    /** Σ_t R[t, e] per expert [E]: the weight each expert received. */
    public double[] weightSums() { return weightSums.clone(); }

    /** Coefficient of variation of {@link #counts()} over experts: population std / mean (0 with no tokens). */
    public double loadCv() {
        double mean = 0;
        for (long c : counts) mean += c;
        mean /= experts;
        if (mean == 0) return 0;
        double var = 0;
        for (long c : counts) var += (c - mean) * (c - mean);
        return Math.sqrt(var / experts) / mean;
    }

    /** Experts that no token was routed to, in order. */
    public List<Integer> deadExperts() {
        List<Integer> dead = new ArrayList<>();
        for (int e = 0; e < experts; e++) if (counts[e] == 0) dead.add(e);
        return dead;
    }

    /** Mean over tokens of the router's entropy H(softmax(g)), nats. */
    public double entropy() {
        return tokens == 0 ? 0 : entropySum / tokens;
    }

    /** E·Σ_e f_e·P_e: 1 for balanced routing, up to E when one expert takes every slot with certainty. */
    public double balance() {
        long slots = Arrays.stream(counts).sum();
        if (slots == 0) return 0;
        double s = 0;
        for (int e = 0; e < experts; e++) s += (double) counts[e] / slots * probabilitySums[e] / tokens;
        return experts * s;
    }

    /** Expert e's top tokens by routing weight, highest first (ties: earlier position first). */
    public List<TopExample> topTokens(int e) {
        List<TopExample> l = new ArrayList<>(top.get(e));
        l.sort(TopExample::compare);
        return l;
    }
}
