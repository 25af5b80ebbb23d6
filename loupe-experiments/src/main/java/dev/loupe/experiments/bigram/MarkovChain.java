package dev.loupe.experiments.bigram;

import dev.loupe.tensor.Tensor;

import java.util.SplittableRandom;

/** The bigram reproduction's corpus: a random Markov chain over the symbols, sampled, and its bigrams counted back. */
public final class MarkovChain {
    private MarkovChain() {}

    /** A random transition matrix [v][v]: row a = softmax(3·N(0,1)) over the next symbol. */
    public static double[][] random(long seed, int v) {
        SplittableRandom r = new SplittableRandom(seed);
        double[][] p = new double[v][v];
        for (int a = 0; a < v; a++) {
            for (int b = 0; b < v; b++) p[a][b] = 3 * Tensor.gaussian(r);
            p[a] = Distributions.softmax(p[a]);
        }
        return p;
    }

    /** {@code n} symbols from the chain, starting from a uniformly random one (seeded). */
    public static int[] sample(double[][] chain, long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] out = new int[n];
        int cur = r.nextInt(chain.length);
        for (int i = 0; i < n; i++) {
            out[i] = cur;
            double u = r.nextDouble(), acc = 0;
            int next = chain.length - 1;
            for (int b = 0; b < chain.length; b++) {
                acc += chain[cur][b];
                if (u < acc) {
                    next = b;
                    break;
                }
            }
            cur = next;
        }
        return out;
    }

    /** Row-normalised counts [v][v] of (a, next) in the stream (add-nothing; a row never seen stays uniform). */
    public static double[][] bigramCounts(int[] s, int v) {
        double[][] q = new double[v][v];
        for (int i = 0; i + 1 < s.length; i++) q[s[i]][s[i + 1]]++;
        for (double[] row : q) {
            double sum = 0;
            for (double x : row) sum += x;
            for (int b = 0; b < v; b++) row[b] = sum == 0 ? 1.0 / v : row[b] / sum;
        }
        return q;
    }
}
