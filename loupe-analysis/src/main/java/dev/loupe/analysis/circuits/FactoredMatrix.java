package dev.loupe.analysis.circuits;

import dev.loupe.tensor.Parallel;
import dev.loupe.tensor.Tensor;
import dev.loupe.tensor.linalg.DecompositionException;
import dev.loupe.tensor.linalg.Eigen;
import dev.loupe.tensor.linalg.Svd;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.QRDecomposition;

import java.util.Arrays;
import java.util.List;

/**
 * A low-rank matrix M = A·B kept as its two factors, A [m, r] and B [r, n], so that a product such as
 * the full OV circuit W_E·W_V·W_O·W_U ([V, V], rank ≤ d_head) is never materialised: everything here
 * costs O((m + n)·r²) or O((m + n)·r) memory, except the scans for display, which go row block by row
 * block with bounded memory (about {@value #BLOCK_FLOATS} floats at a time).
 *
 * <p><b>Precision.</b> The factors are float32 {@link Tensor}s — they are model weights or products of
 * them, exact as stored, and a [V, d_head] factor in float32 is half the memory of float64 and goes
 * through the fast {@code Matmul} backend for the block scans. Everything reduced to r × r size (Gram
 * matrices AᵀA and BBᵀ, the inner product B·A, QR, SVD and eigenvalues) is computed in float64 on
 * EJML, where it costs little and leaves no precision question in the scores built on it.
 *
 * <p>The factors may be views of a model's weights (e.g. W_Q^h, W_Kᵀ): no copy is made, so the matrix
 * follows later changes to those weights. Products and transposes return new factored matrices.
 *
 * <pre>
 *   transpose:       (AB)ᵀ = Bᵀ·Aᵀ                                   // [n, m], inner r
 *   product:         (A₁B₁)(A₂B₂) = A₁·(B₁A₂B₂)  or  (A₁B₁A₂)·B₂      // the smaller inner dim is kept
 *   Frobenius norm:  ‖AB‖_F² = tr((AᵀA)(BBᵀ))                          // two r × r Gram matrices
 *   eigenvalues:     eig(AB) = eig(BA) ∪ {0, …}                        // BA is r × r
 *   SVD:             A = Q_A R_A, Bᵀ = Q_B R_B  ⇒  AB = Q_A (R_A R_Bᵀ) Q_Bᵀ; SVD of the r × r core
 * </pre>
 */
public final class FactoredMatrix {
    /** Floats materialised at once by the row-block scans (16 MB). */
    static final int BLOCK_FLOATS = 1 << 22;

    private final Tensor a;   // [m, r]
    private final Tensor b;   // [r, n]

    /** One entry M[row, column] = value of a factored matrix. */
    public record Entry(int row, int column, double value) {}

    /** M = a·b with a [m, r] and b [r, n] (any views; not copied). */
    public FactoredMatrix(Tensor a, Tensor b) {
        MatrixViews.requireMatrix(a, "FactoredMatrix left factor");
        MatrixViews.requireMatrix(b, "FactoredMatrix right factor");
        if (a.dim(1) != b.dim(0)) {
            throw new IllegalArgumentException("FactoredMatrix: the factors do not chain: A " + Arrays.toString(a.shape())
                    + ", B " + Arrays.toString(b.shape()));
        }
        this.a = a;
        this.b = b;
    }

    /** The left factor A [m, r]. */
    public Tensor left() { return a; }

    /** The right factor B [r, n]. */
    public Tensor right() { return b; }

    /** m. */
    public int rows() { return a.dim(0); }

    /** n. */
    public int columns() { return b.dim(1); }

    /** r, the inner dimension (an upper bound on the rank). */
    public int innerDim() { return a.dim(1); }

    // ---------------------------------------------------------------- algebra (stays factored)

    /** Mᵀ = Bᵀ·Aᵀ [n, m] (views: no copy). */
    public FactoredMatrix transpose() {
        return new FactoredMatrix(b.transpose(0, 1), a.transpose(0, 1));
    }

    /**
     * M·N for another factored N = A₂B₂ [n, p]: A·(B·A₂·B₂) when r ≤ r₂, else (A·B·A₂)·B₂, so the inner
     * dimension is min(r, r₂) and nothing of size m × p is formed.
     */
    public FactoredMatrix times(FactoredMatrix other) {
        requireChain(columns(), other.rows(), other.rows() + "×" + other.columns() + " factored matrix");
        Tensor middle = MatrixViews.product(b, other.a);                      // [r, r₂]
        return innerDim() <= other.innerDim()
                ? new FactoredMatrix(a, MatrixViews.product(middle, other.b))  // A · (B A₂ B₂)
                : new FactoredMatrix(MatrixViews.product(a, middle), other.b); // (A B A₂) · B₂
    }

    /** M·D for a dense D [n, p]: A·(B·D), factored with the same inner dimension. */
    public FactoredMatrix times(Tensor dense) {
        MatrixViews.requireMatrix(dense, "times");
        requireChain(columns(), dense.dim(0), "matrix " + Arrays.toString(dense.shape()));
        return new FactoredMatrix(a, MatrixViews.product(b, dense));
    }

    /** D·M for a dense D [p, m]: (D·A)·B, factored with the same inner dimension. */
    public FactoredMatrix premultiply(Tensor dense) {
        MatrixViews.requireMatrix(dense, "premultiply");
        requireChain(dense.dim(1), rows(), "factored matrix " + rows() + "×" + columns());
        return new FactoredMatrix(MatrixViews.product(dense, a), b);
    }

    // ---------------------------------------------------------------- norms and spectra (r × r work)

    /** ‖AB‖_F = √tr((AᵀA)(BBᵀ)), from the two r × r Gram matrices, in float64. */
    public double frobeniusNorm() {
        DMatrixRMaj ga = leftGram(), gb = rightGram();
        double s = 0;
        for (int i = 0; i < ga.data.length; i++) s += ga.data[i] * gb.data[i];   // both symmetric: tr(XY) = Σ X∘Y
        return Math.sqrt(Math.max(0, s));
    }

    /** AᵀA [r, r] in float64. */
    DMatrixRMaj leftGram() {
        DMatrixRMaj w = MatrixViews.widen(a), g = new DMatrixRMaj(w.numCols, w.numCols);
        CommonOps_DDRM.multInner(w, g);
        return g;
    }

    /** BBᵀ [r, r] in float64. */
    DMatrixRMaj rightGram() {
        DMatrixRMaj w = MatrixViews.widen(b), g = new DMatrixRMaj(w.numRows, w.numRows);
        CommonOps_DDRM.multOuter(w, g);
        return g;
    }

    /**
     * The eigenvalues of the r × r matrix B·A, in float64: these are the non-zero eigenvalues of the
     * square M = AB (with multiplicity), padded with zeros up to r — AB's other m − r eigenvalues are
     * all 0. Ordered as {@link Eigen#eigenvalues}: by descending |λ|.
     */
    public Eigen.Values eigenvalues() {
        if (rows() != columns()) {
            throw new IllegalArgumentException("eigenvalues: the matrix is " + rows() + "×" + columns() + ", not square");
        }
        DMatrixRMaj ba = new DMatrixRMaj(innerDim(), innerDim());
        CommonOps_DDRM.mult(MatrixViews.widen(b), MatrixViews.widen(a), ba);
        return Eigen.eigenvalues(ba);
    }

    /**
     * The thin SVD M = U·diag(σ)·Vᵀ with k = min(m, n, r) singular values, descending; U [m, k] and
     * V [n, k] have orthonormal columns (for singular values that are 0, any orthonormal completion).
     * From the thin QR of each factor and the SVD of the small core R_A·R_Bᵀ: cost O((m + n)·r²).
     */
    public Svd svd() {
        DMatrixRMaj wa = MatrixViews.widen(a), wbt = MatrixViews.widen(b.transpose(0, 1));
        QRDecomposition<DMatrixRMaj> qa = qr(wa), qb = qr(wbt);
        DMatrixRMaj ra = qa.getR(null, true), rb = qb.getR(null, true);          // [ka, r], [kb, r]
        DMatrixRMaj core = new DMatrixRMaj(ra.numRows, rb.numRows);
        CommonOps_DDRM.multTransB(ra, rb, core);                                  // R_A R_Bᵀ [ka, kb]
        Svd c = Svd.of(core);
        DMatrixRMaj u = new DMatrixRMaj(wa.numRows, c.u().numCols), v = new DMatrixRMaj(wbt.numRows, c.v().numCols);
        CommonOps_DDRM.mult(qa.getQ(null, true), c.u(), u);
        CommonOps_DDRM.mult(qb.getQ(null, true), c.v(), v);
        return new Svd(c.singularValues(), u, v);
    }

    /**
     * R_A·B [k, n], k = min(m, r), with A = Q_A·R_A its thin QR: M = Q_A·(R_A·B) and Q_A has
     * orthonormal columns, so ‖M·X‖_F = ‖(R_A·B)·X‖_F for every X — M's action seen from the right, in
     * k rows instead of m. (Used by composition scores: ‖L·R‖_F for all head pairs in one product.)
     * Computed in float64, returned in float32.
     */
    public Tensor rowCompressed() {
        DMatrixRMaj r = qr(MatrixViews.widen(a)).getR(null, true);
        DMatrixRMaj out = new DMatrixRMaj(r.numRows, columns());
        CommonOps_DDRM.mult(r, MatrixViews.widen(b), out);
        return MatrixViews.narrow(out);
    }

    /**
     * A·R_Bᵀ [m, k], k = min(n, r), with Bᵀ = Q_B·R_B its thin QR: M = (A·R_Bᵀ)·Q_Bᵀ, so
     * ‖X·M‖_F = ‖X·(A·R_Bᵀ)‖_F for every X. Computed in float64, returned in float32.
     */
    public Tensor columnCompressed() {
        DMatrixRMaj r = qr(MatrixViews.widen(b.transpose(0, 1))).getR(null, true);
        DMatrixRMaj out = new DMatrixRMaj(rows(), r.numRows);
        CommonOps_DDRM.multTransB(MatrixViews.widen(a), r, out);
        return MatrixViews.narrow(out);
    }

    private static QRDecomposition<DMatrixRMaj> qr(DMatrixRMaj m) {
        QRDecomposition<DMatrixRMaj> qr = DecompositionFactory_DDRM.qr(m.numRows, m.numCols);
        if (!qr.decompose(qr.inputModified() ? m.copy() : m)) {
            throw new DecompositionException("QR of a " + m.numRows + "×" + m.numCols + " factor failed");
        }
        return qr;
    }

    // ---------------------------------------------------------------- display (bounded memory)

    /**
     * The whole product as a dense float32 [m, n] tensor: for small matrices and tests only (a full
     * vocab × vocab circuit would be 10 GB). Throws if m·n exceeds a Java array.
     */
    public Tensor materialize() {
        if ((long) rows() * columns() > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException("materialize: " + rows() + "×" + columns() + " does not fit in one array;"
                    + " use corner, row or the top-entry scans instead");
        }
        return MatrixViews.product(a, b);
    }

    /** The top-left corner M[0:rows, 0:cols] [rows, cols], from A's first rows and B's first columns. */
    public Tensor corner(int rows, int cols) {
        if (rows < 0 || rows > rows() || cols < 0 || cols > columns()) {
            throw new IllegalArgumentException("corner " + rows + "×" + cols + " of a " + rows() + "×" + columns() + " matrix");
        }
        return MatrixViews.product(a.slice(0, 0, rows), b.slice(1, 0, cols));
    }

    /** Row i of M [n]: A[i]·B. */
    public Tensor row(int i) {
        checkRow(i);
        return MatrixViews.product(a.slice(0, i, i + 1), b).reshape(columns());
    }

    /** ‖M[i, :]‖₂ for every row: √(a_i·(BBᵀ)·a_iᵀ), O(m·r²), in float64. */
    public double[] rowNorms() {
        return quadraticNorms(MatrixViews.widen(a), rightGram());
    }

    /** ‖M[:, j]‖₂ for every column: √(b_jᵀ·(AᵀA)·b_j), O(n·r²), in float64. */
    public double[] columnNorms() {
        return quadraticNorms(MatrixViews.widen(b.transpose(0, 1)), leftGram());
    }

    /** Indices of the k rows with the largest norms, largest first (ties: smaller index first). */
    public int[] topRows(int k) {
        double[] norms = rowNorms();
        return java.util.stream.IntStream.range(0, norms.length).boxed()
                .sorted((x, y) -> norms[x] != norms[y] ? Double.compare(norms[y], norms[x]) : Integer.compare(x, y))
                .limit(Math.max(0, k)).mapToInt(Integer::intValue).toArray();
    }

    /** The k largest entries of row i, largest first (ties: smaller column first). */
    public List<Entry> topInRow(int i, int k) {
        checkRow(i);
        float[] v = row(i).toArray();
        TopEntries best = new TopEntries(Math.min(Math.max(0, k), v.length));
        for (int j = 0; j < v.length; j++) if (best.admits(v[j])) best.offer(v[j], i, j);
        return best.sorted(1);
    }

    /**
     * The k largest entries of M, largest first (ties: smaller row, then smaller column), by a scan of
     * row blocks of about {@value #BLOCK_FLOATS} floats: O(m·n·r) work, O(n·block) memory.
     */
    public List<Entry> largestEntries(int k) {
        return scan(k, 1f, BLOCK_FLOATS);
    }

    /** The k smallest (most negative) entries of M, smallest first, by the same bounded scan. */
    public List<Entry> smallestEntries(int k) {
        return scan(k, -1f, BLOCK_FLOATS);
    }

    /** The scan behind the top-entry queries; sign −1 ranks the most negative first. Package-private for tests. */
    List<Entry> scan(int k, float sign, int blockFloats) {
        int m = rows(), n = columns();
        k = (int) Math.min(Math.max(0, k), (long) m * n);
        int block = (int) Math.max(1, Math.min(m, blockFloats / Math.max(1, n)));
        Tensor buffer = Tensor.zeros(block, n);
        TopEntries best = new TopEntries(k);
        int kk = k;
        for (int i0 = 0; i0 < m; i0 += block) {
            int i1 = Math.min(m, i0 + block), first = i0;
            Tensor c = buffer.slice(0, 0, i1 - i0);
            MatrixViews.gemm(sign, a.slice(0, i0, i1), b, c);             // sign · M[i0:i1, :]
            float[] d = c.data();
            Parallel.forRange(i1 - i0, 1, (from, to) -> {
                TopEntries local = new TopEntries(kk);
                for (int i = from; i < to; i++) {
                    int o = i * n;
                    for (int j = 0; j < n; j++) {
                        float v = d[o + j];
                        if (local.admits(v)) local.offer(v, first + i, j);
                    }
                }
                synchronized (best) {
                    best.addAll(local);
                }
            });
        }
        return best.sorted(sign);
    }

    private static double[] quadraticNorms(DMatrixRMaj rowsOf, DMatrixRMaj gram) {
        int m = rowsOf.numRows, r = rowsOf.numCols;
        double[] out = new double[m];
        Parallel.forRange(m, 256, (from, to) -> {
            for (int i = from; i < to; i++) {
                int o = i * r;
                double s = 0;
                for (int p = 0; p < r; p++) {
                    double acc = 0;
                    for (int q = 0; q < r; q++) acc += gram.data[p * r + q] * rowsOf.data[o + q];
                    s += rowsOf.data[o + p] * acc;
                }
                out[i] = Math.sqrt(Math.max(0, s));
            }
        });
        return out;
    }

    private void checkRow(int i) {
        if (i < 0 || i >= rows()) throw new IndexOutOfBoundsException("row " + i + " of a " + rows() + "-row matrix");
    }

    private static void requireChain(int n, int m, String what) {
        if (n != m) throw new IllegalArgumentException("product: " + n + " columns do not chain with the " + what);
    }

    @Override
    public String toString() {
        return "FactoredMatrix[" + rows() + "×" + columns() + ", inner " + innerDim() + "]";
    }
}
