package dev.loupe.analysis.circuits;

import dev.loupe.tensor.Parallel;
import dev.loupe.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * Every {@link Composition} score (Q, K and V) from every head h1 to every head h2 of a later layer,
 * computed in a handful of large products instead of one small product per pair.
 *
 * <p>How: each factored W = A·B is written once in compressed form (see
 * {@link FactoredMatrix#rowCompressed()}, {@link FactoredMatrix#columnCompressed()}): with A = Q_A R_A
 * and Bᵀ = Q_B R_B (thin QR), ‖L·R‖_F = ‖(R_{A_L} B_L)·(A_R R_{B_R}ᵀ)‖_F because the Q factors have
 * orthonormal columns. For W_OV^{h1} = W_V W_O the writer side is R_V·W_O [d_head, d_model]; for the
 * reader sides W_Q R_Kᵀ, W_K R_Qᵀ and W_V R_Oᵀ [d_model, d_head]. Stacking a layer's writers
 * ([n_head·d_head, d_model]) against all later readers ([d_model, later heads·d_head]) gives every
 * ‖L·R‖_F of that layer as the Frobenius norms of the d_head × d_head blocks of one float32 product;
 * norms are accumulated in float64. Per model: O(n_layer²·n_head²·d_head²·d_model) flops in
 * 3·(n_layer − 1) matrix products, no vocab-sized anything.
 */
public final class CompositionScores {
    /** The three scores of one (writer, reader) head pair, reader in a later layer. */
    public record Pair(HeadId from, HeadId to, double q, double k, double v) {
        public double get(Composition kind) {
            return switch (kind) {
                case Q -> q;
                case K -> k;
                case V -> v;
            };
        }
    }

    private final int layers, heads;
    private final double[][][] scores;   // [kind][writer index][reader index], index = layer·heads + head; NaN unless later layer

    private CompositionScores(int layers, int heads, double[][][] scores) {
        this.layers = layers;
        this.heads = heads;
        this.scores = scores;
    }

    /** All scores of a model. */
    public static CompositionScores compute(HeadCircuits circuits) {
        return compute(circuits, line -> {});
    }

    /** All scores of a model, reporting one progress line per layer of writers. */
    public static CompositionScores compute(HeadCircuits circuits, Consumer<String> progress) {
        int layers = circuits.layers(), heads = circuits.heads(), d = circuits.dModel(), n = layers * heads;
        Composition[] kinds = Composition.values();
        // writer side R_V·W_O [k, d] and reader sides A·R_Bᵀ [d, k] per head: small float64 QRs (EJML, no
        // Matmul), independent per head, so spread over the cores
        progress.accept("compressing " + n + " heads' W_OV and W_QK factors (thin QR, " + 4 * n + " of them)");
        Tensor[] writers = new Tensor[n];
        Tensor[][] readers = new Tensor[kinds.length][n];
        Parallel.forRange(n, 1, (from, to) -> {
            for (int i = from; i < to; i++) {
                writers[i] = circuits.ov(i / heads, i % heads).rowCompressed();
                for (Composition kind : kinds) readers[kind.ordinal()][i] = kind.reader(circuits, i / heads, i % heads).columnCompressed();
            }
        });
        int[] rowOffset = offsets(writers, 0);
        Tensor writerStack = stackRows(writers, rowOffset, d);                                        // [Σk, d]
        double[] writerNorm = norms(writers);
        double[][][] scores = new double[kinds.length][n][n];
        for (double[][] s : scores) for (double[] row : s) Arrays.fill(row, Double.NaN);
        for (Composition kind : kinds) {
            Tensor[] r = readers[kind.ordinal()];
            int[] colOffset = offsets(r, 1);
            Tensor readerStack = stackColumns(r, colOffset, d);                                       // [d, Σk]
            double[] readerNorm = norms(r);
            for (int l1 = 0; l1 + 1 < layers; l1++) {
                progress.accept(kind + "-composition: layer " + l1 + " → later layers (" + (l1 + 1) + "/" + (layers - 1) + ")");
                int w0 = l1 * heads, w1 = w0 + heads, r0 = (l1 + 1) * heads;
                Tensor lhs = writerStack.slice(0, rowOffset[w0], rowOffset[w1]);
                Tensor rhs = readerStack.slice(1, colOffset[r0], colOffset[n]);
                Tensor product = MatrixViews.product(lhs, rhs);                                      // ‖block‖_F = ‖L·R‖_F
                double[][] s = scores[kind.ordinal()];
                Parallel.forRange(heads, 1, (from, to) -> {
                    for (int i = w0 + from; i < w0 + to; i++) {
                        for (int j = r0; j < n; j++) {
                            double num = blockNorm(product, rowOffset[i] - rowOffset[w0], rowOffset[i + 1] - rowOffset[w0],
                                    colOffset[j] - colOffset[r0], colOffset[j + 1] - colOffset[r0]);
                            double den = writerNorm[i] * readerNorm[j];
                            s[i][j] = den == 0 ? Double.NaN : num / den;
                        }
                    }
                });
            }
        }
        return new CompositionScores(layers, heads, scores);
    }

    /** The score of one kind from head {@code from} to head {@code to} (a later layer's head). */
    public double score(Composition kind, HeadId from, HeadId to) {
        if (to.layer() <= from.layer()) {
            throw new IllegalArgumentException(kind + "-composition needs a reader in a later layer than the writer: "
                    + from + " → " + to);
        }
        return scores[kind.ordinal()][index(from)][index(to)];
    }

    /** [n_head, n_head]: row h1 of layer1, column h2 of layer2 (layer1 &lt; layer2). */
    public double[][] table(Composition kind, int layer1, int layer2) {
        double[][] t = new double[heads][heads];
        for (int h1 = 0; h1 < heads; h1++) {
            for (int h2 = 0; h2 < heads; h2++) t[h1][h2] = score(kind, new HeadId(layer1, h1), new HeadId(layer2, h2));
        }
        return t;
    }

    /** Every pair, ordered by writer (layer, head), then reader (layer, head). */
    public List<Pair> pairs() {
        List<Pair> out = new ArrayList<>();
        for (int i = 0; i < layers * heads; i++) {
            for (int j = (i / heads + 1) * heads; j < layers * heads; j++) {
                out.add(new Pair(new HeadId(i / heads, i % heads), new HeadId(j / heads, j % heads),
                        scores[0][i][j], scores[1][i][j], scores[2][i][j]));
            }
        }
        return out;
    }

    public int layers() { return layers; }

    public int heads() { return heads; }

    private int index(HeadId h) {
        if (h.layer() < 0 || h.layer() >= layers || h.head() < 0 || h.head() >= heads) {
            throw new IllegalArgumentException("no head " + h + " in a model of " + layers + " layers × " + heads + " heads");
        }
        return h.layer() * heads + h.head();
    }

    private static int[] offsets(Tensor[] parts, int dim) {
        int[] o = new int[parts.length + 1];
        for (int i = 0; i < parts.length; i++) o[i + 1] = o[i] + parts[i].dim(dim);
        return o;
    }

    private static Tensor stackRows(Tensor[] parts, int[] offset, int d) {
        Tensor out = Tensor.zeros(offset[parts.length], d);
        for (int i = 0; i < parts.length; i++) parts[i].copyInto(out.slice(0, offset[i], offset[i + 1]));
        return out;
    }

    private static Tensor stackColumns(Tensor[] parts, int[] offset, int d) {
        Tensor out = Tensor.zeros(d, offset[parts.length]);
        for (int i = 0; i < parts.length; i++) parts[i].copyInto(out.slice(1, offset[i], offset[i + 1]));
        return out;
    }

    private static double[] norms(Tensor[] parts) {
        double[] out = new double[parts.length];
        for (int i = 0; i < parts.length; i++) {
            double s = 0;
            for (float v : parts[i].toArray()) s += (double) v * v;
            out[i] = Math.sqrt(s);
        }
        return out;
    }

    private static double blockNorm(Tensor m, int r0, int r1, int c0, int c1) {
        float[] d = m.data();
        int ld = m.stride(0), o = m.offset();
        double s = 0;
        for (int i = r0; i < r1; i++) {
            int row = o + i * ld;
            for (int j = c0; j < c1; j++) s += (double) d[row + j] * d[row + j];
        }
        return Math.sqrt(s);
    }
}
