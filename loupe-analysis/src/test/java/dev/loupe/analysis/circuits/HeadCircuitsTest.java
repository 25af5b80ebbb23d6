package dev.loupe.analysis.circuits;

import dev.loupe.LoupeException;
import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.tensor.Tensor;
import dev.loupe.tensor.linalg.Eigen;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.loupe.analysis.circuits.FactoredMatrixTest.assertClose;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * The per-head circuits against products assembled independently from the raw GPT-2 tensors
 * (c_attn columns q | k | v, c_proj rows, wte, wpe, lm_head [V, d]) in float64; copying scores on
 * constructed heads whose sign is known.
 */
class HeadCircuitsTest {
    static final int V = 37, D = 16, H = 4, R = D / H, P = 9;

    static Gpt model(boolean tied, long seed) {
        GptConfig c = new GptConfig(V, P, D, 2, H, 4 * D, 1e-5f, tied, GptConfig.Norm.PRE, GptConfig.Mlp.GELU,
                GptConfig.Positional.LEARNED);
        return Gpt.create(c, seed);
    }

    /** Columns [c0, c0 + r) of a raw parameter, as float64. */
    static DMatrixRMaj columns(Tensor w, int c0, int r) {
        return MatrixViews.widen(w.slice(1, c0, c0 + r));
    }

    static DMatrixRMaj mult(DMatrixRMaj... ms) {
        DMatrixRMaj acc = ms[0];
        for (int i = 1; i < ms.length; i++) {
            DMatrixRMaj next = new DMatrixRMaj(acc.numRows, ms[i].numCols);
            CommonOps_DDRM.mult(acc, ms[i], next);
            acc = next;
        }
        return acc;
    }

    static DMatrixRMaj t(DMatrixRMaj m) {
        return CommonOps_DDRM.transpose(m, null);
    }

    record Raw(DMatrixRMaj q, DMatrixRMaj k, DMatrixRMaj v, DMatrixRMaj o, DMatrixRMaj e, DMatrixRMaj u, DMatrixRMaj pos) {}

    static Raw raw(Gpt gpt, int l, int h) {
        var p = gpt.parameters();
        int d = gpt.config().dModel(), r = d / gpt.config().nHead();
        Tensor attn = p.get("h." + l + ".attn.c_attn.weight"), proj = p.get("h." + l + ".attn.c_proj.weight");
        Tensor lmHead = gpt.config().tied() ? p.get("wte.weight") : p.get("lm_head.weight");
        return new Raw(columns(attn, h * r, r), columns(attn, d + h * r, r), columns(attn, 2 * d + h * r, r),
                MatrixViews.widen(proj.slice(0, h * r, (h + 1) * r)), MatrixViews.widen(p.get("wte.weight")),
                t(MatrixViews.widen(lmHead)), MatrixViews.widen(p.get("wpe.weight")));
    }

    @Test
    void qkOvAndFullCircuitsEqualTheProductsOfTheRawWeights() {
        Gpt gpt = model(false, 1);
        HeadCircuits c = new HeadCircuits(gpt);
        for (HeadId id : List.of(new HeadId(0, 0), new HeadId(0, 3), new HeadId(1, 2))) {
            Raw w = raw(gpt, id.layer(), id.head());
            int l = id.layer(), h = id.head();
            assertThat(c.qk(l, h).innerDim()).isEqualTo(R);
            assertClose(c.qk(l, h).materialize(), mult(w.q, t(w.k)), 1e-5);
            assertClose(c.ov(l, h).materialize(), mult(w.v, w.o), 1e-5);
            assertClose(c.fullQk(l, h).materialize(), mult(w.e, w.q, t(w.k), t(w.e)), 1e-5);
            assertClose(c.fullOv(l, h).materialize(), mult(w.e, w.v, w.o, w.u), 1e-5);
            assertClose(c.positionalQk(l, h).materialize(), mult(w.pos, w.q, t(w.k), t(w.pos)), 1e-5);
            assertClose(c.positionalOv(l, h).materialize(), mult(w.pos, w.v, w.o, w.u), 1e-5);
            assertThat(c.fullOv(l, h).innerDim()).isEqualTo(R);
            assertThat(c.fullOv(l, h).rows()).isEqualTo(V);
            assertThat(c.positionalOv(l, h).rows()).isEqualTo(P);
        }
    }

    @Test
    void fullCircuitScoresFromTheDModelRouteEqualThoseOfTheVocabMatrices() {
        for (boolean tied : new boolean[] {true, false}) {
            Gpt gpt = model(tied, 2);
            HeadCircuits c = new HeadCircuits(gpt);
            for (HeadId id : c.allHeads()) {
                Raw w = raw(gpt, id.layer(), id.head());
                double ovDense = CopyingScore.of(Eigen.eigenvalues(mult(w.e, w.v, w.o, w.u)));
                double qkDense = CopyingScore.of(Eigen.eigenvalues(mult(w.e, w.q, t(w.k), t(w.e))));
                assertThat(c.ovCopyingScore(id.layer(), id.head())).isCloseTo(ovDense, within(1e-4));
                assertThat(CopyingScore.of(c.fullOv(id.layer(), id.head()))).isCloseTo(ovDense, within(1e-4));
                assertThat(c.qkMatchingScore(id.layer(), id.head())).isCloseTo(qkDense, within(1e-4));
                assertThat(CopyingScore.of(c.fullQk(id.layer(), id.head()))).isCloseTo(qkDense, within(1e-4));
            }
        }
    }

    @Test
    void copyingScoreIsOneForAPositiveSemidefiniteCircuitAndMinusOneForItsNegation() {
        Gpt gpt = model(true, 3);                    // tied: W_U = W_Eᵀ
        HeadCircuits c = new HeadCircuits(gpt);
        Tensor wV = gpt.blocks[1].attn.wV(2), wO = gpt.blocks[1].attn.wO(2);
        wV.transpose(0, 1).copyInto(wO);             // W_O = W_Vᵀ: full OV = (W_E W_V)(W_E W_V)ᵀ ⪰ 0
        assertThat(c.ovCopyingScore(1, 2)).isCloseTo(1.0, within(1e-9));
        assertThat(CopyingScore.of(c.fullOv(1, 2))).isCloseTo(1.0, within(1e-9));
        float[] o = wO.contiguous().toArray();
        for (int i = 0; i < o.length; i++) o[i] = -o[i];
        Tensor.of(o, R, D).copyInto(wO);             // W_O = −W_Vᵀ
        assertThat(c.ovCopyingScore(1, 2)).isCloseTo(-1.0, within(1e-9));
        gpt.blocks[0].attn.wQ(1).copyInto(gpt.blocks[0].attn.wK(1));   // W_K = W_Q: a head that matches
        assertThat(c.qkMatchingScore(0, 1)).isCloseTo(1.0, within(1e-9));
        assertThat(c.ovCopyingScore(0, 1)).isBetween(-0.9, 0.9);       // untouched random head: neither
    }

    @Test
    void copyingScoreOfIdentityRotationAndZero() {
        int n = 6, r = 4;
        Tensor a = Tensor.zeros(n, r), b = Tensor.zeros(r, n);
        for (int i = 0; i < r; i++) { a.set(1f, i, i); b.set(1f, i, i); }
        assertThat(CopyingScore.of(new FactoredMatrix(a, b))).isEqualTo(1.0);          // a projection: λ ∈ {1, 0}
        Tensor neg = Tensor.zeros(r, n);
        for (int i = 0; i < r; i++) neg.set(-2f, i, i);
        assertThat(CopyingScore.of(new FactoredMatrix(a, neg))).isEqualTo(-1.0);
        Tensor rot = Tensor.zeros(r, n);                                               // 90° rotations: λ = ±i
        rot.set(1f, 0, 1); rot.set(-1f, 1, 0); rot.set(1f, 2, 3); rot.set(-1f, 3, 2);
        assertThat(CopyingScore.of(new FactoredMatrix(a, rot))).isCloseTo(0.0, within(1e-12));
        assertThat(CopyingScore.of(new FactoredMatrix(a, Tensor.zeros(r, n)))).isNaN();
    }

    @Test
    void topTokenPairsAreTheLargestEntriesNamedByTheirTokens() {
        Gpt gpt = model(false, 4);
        HeadCircuits c = new HeadCircuits(gpt);
        FactoredMatrix ov = c.fullOv(1, 1);
        Tensor dense = ov.materialize();
        List<TokenPair> top = TokenPair.top(ov, 4, id -> "tok" + id);
        assertThat(top).hasSize(4);
        float max = Float.NEGATIVE_INFINITY;
        for (float f : dense.toArray()) max = Math.max(max, f);
        assertThat(top.get(0).value()).isCloseTo(max, within(1e-6));
        for (TokenPair p : top) {
            assertThat(p.rowText()).isEqualTo("tok" + p.rowToken());
            assertThat(p.columnText()).isEqualTo("tok" + p.columnToken());
            assertThat(p.value()).isCloseTo(dense.get(p.rowToken(), p.columnToken()), within(1e-6));
        }
        assertThat(TokenPair.top(ov, 2, null).get(0).rowText()).isNull();
    }

    @Test
    void badHeadsAndMissingPositionsAreClearErrors() {
        HeadCircuits c = new HeadCircuits(model(false, 5));
        assertThatThrownBy(() -> c.ov(2, 0)).isInstanceOf(LoupeException.class).hasMessageContaining("2 layers of 4 heads");
        assertThatThrownBy(() -> c.qk(0, -1)).isInstanceOf(LoupeException.class);
        GptConfig noPos = new GptConfig(V, P, D, 1, H, 0, 1e-5f, true, GptConfig.Norm.PRE, GptConfig.Mlp.NONE,
                GptConfig.Positional.NONE);
        HeadCircuits np = new HeadCircuits(Gpt.create(noPos, 1));
        assertThatThrownBy(() -> np.positionalQk(0, 0)).isInstanceOf(LoupeException.class).hasMessageContaining("no positional");
    }

    /**
     * A GPT-2-sized vocabulary with a tiny d_model: a 50257 × 50257 float matrix is 10 GB, more than
     * the test JVM's heap, so materialising one anywhere here would fail with OutOfMemoryError.
     */
    @Test
    void aFullVocabularyCircuitIsNeverMaterialised() {
        int vocab = 50257;
        org.junit.jupiter.api.Assumptions.assumeTrue(Runtime.getRuntime().maxMemory() < 4L * vocab * vocab,
                "the heap can hold a vocab × vocab matrix, so this test could not detect one");
        GptConfig cfg = new GptConfig(vocab, 8, 16, 1, 2, 0, 1e-5f, true, GptConfig.Norm.PRE, GptConfig.Mlp.NONE,
                GptConfig.Positional.LEARNED);
        HeadCircuits c = new HeadCircuits(Gpt.create(cfg, 7));
        FactoredMatrix ov = c.fullOv(0, 1);
        assertThat(ov.rows()).isEqualTo(vocab);
        assertThat(CopyingScore.of(ov)).isCloseTo(c.ovCopyingScore(0, 1), within(1e-5));
        assertThat(CopyingScore.of(c.fullQk(0, 1))).isCloseTo(c.qkMatchingScore(0, 1), within(1e-5));
        double norm = ov.frobeniusNorm();
        double[] sigma = ov.svd().singularValues();
        assertThat(sigma).hasSize(8);
        double s2 = 0;
        for (double s : sigma) s2 += s * s;
        assertThat(Math.sqrt(s2)).isCloseTo(norm, within(1e-6 * norm));
        double[] rows = ov.rowNorms();
        double sumSq = 0;
        for (double r : rows) sumSq += r * r;
        assertThat(Math.sqrt(sumSq)).isCloseTo(norm, within(1e-6 * norm));
        List<FactoredMatrix.Entry> top = ov.largestEntries(3);
        FactoredMatrix.Entry best = top.get(0);
        assertThat(best.value()).isCloseTo(ov.row(best.row()).get(best.column()), within(1e-6 * Math.abs(best.value())));
        for (int row : ov.topRows(5)) {                                 // no row holds anything larger
            assertThat(ov.topInRow(row, 1).get(0).value()).isLessThanOrEqualTo(best.value());
        }
    }
}
